"""Voter lists: who may see them, reading them (audited) and the retention purge. Plain functions of the session,
the actor and the clock. The figures derived from the rows are in ``webapp.voters.figures``, the changes and the
freeze in ``webapp.voters.changes``.

Personal data (Luật 91/2025): only the area's commune and those above see a list, a leader their own area's, the
hotline none; the ID number is shown whole to the commune only; every view, search and export is audited with who,
what and how many rows (``record_access``).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.accounts.models import Role, User
from webapp.audit import services as audit
from webapp.audit.services import acting  # noqa: F401  (voters.changes and imports use it from here)
from webapp.elections.models import ContestKind, Election, PollingArea
from webapp.textnorm import fold
from webapp.voters.figures import BALLOT_COLUMNS, Totals, frozen_at, totals
from webapp.voters.models import VoterChange, VoterListEntry, VoterListFreeze

#: Roles that see voter lists (a leader only their own area's, read-only); the hotline and machines see none.
READER_ROLES = (Role.ADMIN, Role.PROVINCE, Role.COMMUNE, Role.LEADER)
#: Roles that import lists, record changes and freeze them.
WRITER_ROLES = (Role.ADMIN, Role.PROVINCE, Role.COMMUNE)
#: Roles that mark voter cards handed out (the team through its leader, the commune that prints them).
CARD_ROLES = (Role.COMMUNE, Role.LEADER)
#: Roles that see the whole ID number (the commune makes the list and issues the certificates).
ID_NUMBER_ROLES = (Role.COMMUNE,)
PAGE_SIZE = 50


class NotAllowed(Exception):
    """The role never sees voter lists (the web layer answers 403)."""


def may_read(user: User) -> bool:
    return user.role in READER_ROLES


def may_write(user: User) -> bool:
    return user.role in WRITER_ROLES


def masked_id(user: User | None, id_number: str) -> str:
    """The ID number as this user may see it: whole for the commune, else its last four digits. ``user=None``: the
    list posted for everyone to read (Mẫu 31), masked whoever prints it."""
    if user is not None and user.role in ID_NUMBER_ROLES:
        return id_number
    return "•" * 8 + id_number[-4:]


def readable_area(session: Session, user: User, area_id: Any) -> PollingArea:
    """The polling area whose list the user asks for, or OutOfScope (404) / NotAllowed (403)."""
    if not may_read(user):
        raise NotAllowed
    return scope.get(session, PollingArea, area_id, user)


def writable_area(session: Session, user: User, area_id: Any) -> PollingArea:
    if not may_write(user):
        raise NotAllowed
    return scope.get(session, PollingArea, area_id, user)



# --- reading, audited -----------------------------------------------------------------------------------------


def record_access(session: Session, user: User, *, action: str, area: PollingArea | None, rows: int,
                  what: dict[str, Any] | None = None, entity: tuple[str, int] | None = None,
                  place: tuple[int | None, int | None, int | None] | None = None) -> None:
    """Audits a view, search, export or print of personal data: who (the session's actor), what and how many rows.
    ``entity`` names one voter (a card, a certificate) instead of the area; ``place`` a commune's batch."""
    if place is None:
        place = (area.province_id, area.commune_id, area.id) if area is not None else user.audit_place()
    entity_type, entity_id = entity if entity is not None else (
        "voter_list_entries", area.id if area is not None else "")
    audit.record_event(session, action=action, entity_type=entity_type, entity_id=str(entity_id), place=place,
                       after={"rows": rows, **(what or {})})


@dataclasses.dataclass
class ListPage:
    area: PollingArea
    rows: list[VoterListEntry]
    page: int
    pages: int
    matching: int
    query: str
    totals: dict[ContestKind, Totals]
    frozen_at: datetime | None


def list_page(session: Session, user: User, election: Election, area_id: Any, *, query: str = "", page: int = 1,
              page_size: int = PAGE_SIZE) -> ListPage:
    """One page of an area's list in STT order, or the rows whose name contains ``query`` (without diacritics).
    Audited with the number of rows shown."""
    area = readable_area(session, user, area_id)
    where = [VoterListEntry.election_id == election.id, VoterListEntry.polling_area_id == area.id]
    folded = fold(query or "")[:100]
    if folded:
        escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(VoterListEntry.name_folded.like(f"%{escaped}%", escape="\\"))
    matching = session.scalar(sa.select(sa.func.count()).select_from(VoterListEntry).where(*where)) or 0
    pages = max(1, -(-matching // page_size))
    page = min(max(1, page), pages)
    rows = list(session.scalars(sa.select(VoterListEntry).where(*where).order_by(VoterListEntry.stt)
                                .offset((page - 1) * page_size).limit(page_size)))
    record_access(session, user, action="search_voters" if folded else "view_voters", area=area, rows=len(rows),
                  what={"query": folded, "page": page} if folded else {"page": page})
    return ListPage(area, rows, page, pages, matching, folded,
                    totals(session, election.id, [area.id]).get(area.id, {k: Totals() for k in BALLOT_COLUMNS}),
                    frozen_at(session, election.id, area.id))


@dataclasses.dataclass
class AreaSummary:
    area: PollingArea
    totals: dict[ContestKind, Totals] | None
    frozen_at: datetime | None


def commune_lists(session: Session, user: User, election: Election, commune_id: int) -> list[AreaSummary]:
    """The polling areas of a commune with their list totals (no personal data)."""
    if not may_write(user):
        raise NotAllowed
    areas = list(session.scalars(scope.select(PollingArea, user).where(PollingArea.commune_id == commune_id)
                                 .order_by(PollingArea.number)))
    if not areas:
        raise scope.OutOfScope("Commune")
    ids = [a.id for a in areas]
    t = totals(session, election.id, ids)
    frozen = dict(session.execute(sa.select(VoterListFreeze.polling_area_id, VoterListFreeze.frozen_at).where(
        VoterListFreeze.election_id == election.id, VoterListFreeze.polling_area_id.in_(ids))).all())
    return [AreaSummary(a, t.get(a.id), frozen.get(a.id)) for a in areas]



# --- retention ------------------------------------------------------------------------------------------------


def purge(session: Session, election: Election, *, batch: int = 5000) -> int:
    """Deletes the voter lists and their changes of a finished election; the totals (VoterCount), the freezes and
    the audit trail stay. Returns the number of voters deleted."""
    session.execute(sa.delete(VoterChange).where(VoterChange.election_id == election.id))
    session.execute(sa.update(VoterListEntry).where(VoterListEntry.election_id == election.id,
                                                    VoterListEntry.origin_entry_id.is_not(None))
                    .values(origin_entry_id=None))
    deleted = 0
    while True:
        ids = list(session.scalars(sa.select(VoterListEntry.id).where(VoterListEntry.election_id == election.id)
                                   .limit(batch)))
        if not ids:
            break
        session.execute(sa.delete(VoterListEntry).where(VoterListEntry.id.in_(ids)))
        deleted += len(ids)
    audit.record_event(session, action="purge_voter_lists", entity_type="voter_list_entries",
                       entity_id=election.code, after={"rows": deleted})
    return deleted
