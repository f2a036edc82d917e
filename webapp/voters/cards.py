"""Voter cards handed out (phát thẻ cử tri): the Tổ marks each card by its number (the STT of the list) on a phone.

A mark is a write of the voter's row (``card_handed_out_at`` and ``..._by_id``), audited as every ORM write is.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.audit import services as audit
from webapp.elections.models import Election, PollingArea
from webapp.voters.models import VoterListEntry


class NoSuchCard(LookupError):
    """No voter on the area's list has this number (or the row is removed from the list)."""


@dataclasses.dataclass(frozen=True)
class CardsState:
    area: PollingArea
    listed: int
    handed_out: int
    current: VoterListEntry | None  # the card shown: the one asked for, else the first not handed out

    @property
    def percent(self) -> float:
        return round(100 * self.handed_out / self.listed, 2) if self.listed else 0.0


def _listed(election: Election, area_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(VoterListEntry.election_id == election.id, VoterListEntry.polling_area_id == area_id,
                   VoterListEntry.removed_at.is_(None))


def state(session: Session, user: object, election: Election, area_id: int, stt: int | None = None,
          after: int = 0) -> CardsState:
    """The area's card count and the card to show: number ``stt``, or the first not handed out after ``after``
    (wrapping round). ``scope.OutOfScope`` for an area outside the user's."""
    area = scope.get(session, PollingArea, area_id, user)
    listed = _listed(election, area.id)
    total, done = session.execute(sa.select(sa.func.count(), sa.func.count(VoterListEntry.card_handed_out_at))
                                  .where(listed)).one()
    current = None
    if stt is not None:
        current = session.scalars(sa.select(VoterListEntry).where(listed, VoterListEntry.stt == stt)).first()
    else:
        pending = sa.select(VoterListEntry).where(listed, VoterListEntry.card_handed_out_at.is_(None))
        current = (session.scalars(pending.where(VoterListEntry.stt > after).order_by(VoterListEntry.stt).limit(1))
                   .first() or session.scalars(pending.order_by(VoterListEntry.stt).limit(1)).first())
    return CardsState(area, total, done, current)


def mark(session: Session, *, actor: audit.Actor, election: Election, area_id: int, stt: int, handed_out: bool,
         now: datetime) -> VoterListEntry:
    """Mark card ``stt`` of the area handed out (or not, to undo a wrong tap). Marking twice keeps the first time."""
    area = scope.get(session, PollingArea, area_id, actor.user)
    entry = session.scalars(sa.select(VoterListEntry).where(_listed(election, area.id), VoterListEntry.stt == stt)
                            .with_for_update()).first()
    if entry is None:
        raise NoSuchCard(stt)
    if handed_out and entry.card_handed_out_at is None:
        entry.card_handed_out_at, entry.card_handed_out_by_id = now, actor.user.id
    elif not handed_out:
        entry.card_handed_out_at = entry.card_handed_out_by_id = None
    session.flush()
    return entry
