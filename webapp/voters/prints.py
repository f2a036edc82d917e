"""Prints of the lists: Mẫu 31/HĐBC (the list for posting, A4 landscape, grouped by household as imported, with
its footer totals), Mẫu 10/HĐBC (a voter card to re-issue, A6) and Mẫu 11/HĐBC (the certificate to vote elsewhere).

Every print carries who printed it and when (a watermark on each page) and leaves an audit entry naming the form
and how many voters' data it holds. A whole commune's lists are made in the background
(``webapp.results.batch``), one document per area.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.elections.models import ContestKind, Election, PollingArea
from webapp.geo.models import Commune
from webapp.readiness.services import taking_part
from webapp.results.batch import Batch
from webapp.voters import figures
from webapp.voters.models import VoterChange, VoterChangeCause, VoterListEntry
from webapp.voters.figures import BALLOT_COLUMNS, Totals

LIST_FORM, CARD_FORM, CERTIFICATE_FORM = "31/HĐBC", "10/HĐBC", "11/HĐBC"


class NoCertificate(LookupError):
    """The voter holds no certificate to vote elsewhere (no change 'certificate given' on their home row)."""


@dataclasses.dataclass(frozen=True)
class Household:
    key: str | None
    entries: list[VoterListEntry]


@dataclasses.dataclass(frozen=True)
class AreaList:
    election: Election
    area: PollingArea
    households: list[Household]
    totals: dict[ContestKind, Totals]
    rows: int

    @property
    def voters(self) -> Totals:
        return self.totals[ContestKind.NATIONAL_ASSEMBLY]



def _households(entries: list[VoterListEntry]) -> list[Household]:
    """Rows in STT order, cut where the household changes (rows without a household stand alone)."""
    out: list[Household] = []
    for entry in entries:
        if out and entry.household_key is not None and out[-1].key == entry.household_key:
            out[-1].entries.append(entry)
        else:
            out.append(Household(entry.household_key, [entry]))
    return out


def area_list(session: Session, user: Any, election: Election, area_id: int) -> AreaList:
    """An area's list in STT order, removed rows included (annotated), with its totals from the rows on it.
    ``scope.OutOfScope`` for an area outside the user's."""
    area = scope.get(session, PollingArea, area_id, user)
    entries = list(session.scalars(sa.select(VoterListEntry).where(
        VoterListEntry.election_id == election.id, VoterListEntry.polling_area_id == area.id)
        .order_by(VoterListEntry.stt)))
    totals = figures.totals(session, election.id, [area.id]).get(area.id) or {k: Totals() for k in BALLOT_COLUMNS}
    return AreaList(election, area, _households(entries), totals, len(entries))


def commune_areas(session: Session, user: Any, election: Election, commune_id: int) -> tuple[Commune, list[int]]:
    """A commune's areas that hold a list, in number order (``scope.OutOfScope`` outside the user's scope)."""
    commune = scope.get(session, Commune, commune_id, user)
    ids = list(session.scalars(sa.select(PollingArea.id).where(
        PollingArea.commune_id == commune.id, taking_part(election),
        sa.exists().where(VoterListEntry.polling_area_id == PollingArea.id,
                          VoterListEntry.election_id == election.id))
        .order_by(PollingArea.number)))
    return commune, ids


def commune_fingerprint(session: Session, election: Election, commune: Commune) -> str:
    """Changes whenever a row of the commune's lists is added, removed or marked: the batch file's name."""
    e = VoterListEntry
    row = session.execute(
        sa.select(sa.func.count(), sa.func.max(e.id), sa.func.max(e.removed_at), sa.func.count(e.removed_at),
                  sa.func.max(e.card_handed_out_at))
        .join(PollingArea, PollingArea.id == e.polling_area_id)
        .where(e.election_id == election.id, PollingArea.commune_id == commune.id)).one()
    changes = session.execute(
        sa.select(sa.func.count(), sa.func.max(VoterChange.id)).join(
            PollingArea, PollingArea.id == VoterChange.polling_area_id)
        .where(VoterChange.election_id == election.id, PollingArea.commune_id == commune.id)).one()
    return hashlib.sha256(repr((tuple(row), tuple(changes))).encode()).hexdigest()[:16]


def list_batch(directory: Path, commune: Commune, fingerprint: str) -> Batch:
    return Batch(directory, commune.code, fingerprint, contents="danh-sach-cu-tri")


def voter(session: Session, user: Any, election: Election, voter_id: int) -> VoterListEntry:
    entry = scope.get(session, VoterListEntry, voter_id, user)
    if entry.election_id != election.id:
        raise scope.OutOfScope(voter_id)
    return entry


def certificate_change(session: Session, entry: VoterListEntry) -> VoterChange:
    """The change that gave the voter their certificate (the latest), or NoCertificate."""
    change = session.scalars(sa.select(VoterChange).where(
        VoterChange.entry_id == entry.id, VoterChange.cause == VoterChangeCause.CERTIFICATE_GIVEN)
        .order_by(VoterChange.effective_at.desc(), VoterChange.id.desc()).limit(1)).first()
    if change is None:
        raise NoCertificate(entry.id)
    return change


def destination(session: Session, entry: VoterListEntry) -> VoterListEntry | None:
    """The row the certificate added at the destination, if it is in this system."""
    return session.scalars(sa.select(VoterListEntry).where(VoterListEntry.origin_entry_id == entry.id)
                           .order_by(VoterListEntry.id.desc()).limit(1)).first()

