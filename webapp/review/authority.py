"""Four-eyes: the one place that decides who may decide on a station's reports (confirm, return, reopen), and
the warnings shown beside a report when the account that sent it and the official reviewing it look too close.

Whoever had a hand in a station's figures may not decide on its reports for the rest of the election: an account
that wrote a version of one of them (by any channel; the database records it, ``StationInvolvement``), or one
that reset the code of the station leader's account after the leader had activated it (and so could have signed
in as the leader). Another official of the commune, or the province, decides instead.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.accounts.models import Role, User
from webapp.review.models import InvolvementKind, StationInvolvement

REVIEWERS = frozenset({Role.COMMUNE, Role.PROVINCE, Role.ADMIN})


class Refusal(enum.StrEnum):
    NOT_REVIEWER = "not_reviewer"  # leaders and the hotline never decide
    WROTE = "wrote"  # the actor wrote a version of this station's reports
    RESET_CODE = "reset_code"  # the actor reset this station leader's code after activation


_BY_KIND = {InvolvementKind.WROTE: Refusal.WROTE, InvolvementKind.RESET_CODE: Refusal.RESET_CODE}


def refusal(session: Session, actor: User, polling_area_id: int) -> Refusal | None:
    """Why ``actor`` may not confirm, return or reopen the reports of this polling area, or None if they may.
    (Whether the actor sees the area at all is ``webapp.scope``'s question, asked before: a 404.)"""
    if actor.role not in REVIEWERS:
        return Refusal.NOT_REVIEWER
    kinds = set(session.scalars(sa.select(StationInvolvement.kind).where(
        StationInvolvement.polling_area_id == polling_area_id, StationInvolvement.user_id == actor.id)))
    for kind in (InvolvementKind.WROTE, InvolvementKind.RESET_CODE):
        if kind in kinds:
            return _BY_KIND[kind]
    return None


def record_involvement(session: Session, *, user: User, polling_area_id: int, kind: InvolvementKind,
                       now: datetime) -> None:
    """Note that ``user`` had a hand in this station's figures (once per kind: the first time is kept). The
    versions' writers are recorded by the database itself (triggers on the report tables, in the version's
    election); this is for the rest: a code reset, which holds in every election (``election_id`` NULL)."""
    if kind is not InvolvementKind.RESET_CODE:
        raise ValueError(f"{kind} is recorded by the database")
    exists = session.scalar(sa.select(StationInvolvement.id).where(
        StationInvolvement.polling_area_id == polling_area_id, StationInvolvement.user_id == user.id,
        StationInvolvement.kind == kind))
    if exists is None:
        session.add(StationInvolvement(polling_area_id=polling_area_id, user_id=user.id, kind=kind, at=now))
        session.flush()


# --- warnings beside a report --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Presence:
    """Where a request came from: its client address, and (once sessions live on the server) its session."""

    ip: str = ""
    session_id: str | None = None


class FlagKind(enum.StrEnum):
    ACTIVATION = "activation"  # the sending account was activated from where the reviewer is now
    SENDING = "sending"  # the report was sent from where the reviewer is now


class Match(enum.StrEnum):
    ADDRESS = "address"
    SESSION = "session"


@dataclasses.dataclass(frozen=True)
class Flag:
    kind: FlagKind
    match: Match
    ip: str


def _match(a: Presence, b: Presence) -> Match | None:
    """The one comparison of two requests' origins; a same-session check is one more condition here."""
    if a.ip and a.ip == b.ip:
        return Match.ADDRESS
    return None


def flags(viewer: Presence, *, activation: Presence | None, sending: Presence | None) -> list[Flag]:
    """What looks too close between the reviewing official's request and the sending account's activation or
    the sending request. A warning only: a commune office's shared connection can explain it."""
    found = []
    for kind, other in ((FlagKind.ACTIVATION, activation), (FlagKind.SENDING, sending)):
        if other is not None and (match := _match(viewer, other)) is not None:
            found.append(Flag(kind, match, other.ip))
    return found
