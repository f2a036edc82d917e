"""Builders for report tests: the demo leader's station, consistent count minutes, a fixed election-day clock."""

from __future__ import annotations

import io
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.world import World
from webapp.clock import VN_TZ
from webapp.elections import services as elections
from webapp.elections.models import Contest, ContestKind, PollingArea, PollingAreaUnit
from webapp.reports.checks import CountInput
from webapp.reports.counts import CountData

AREA = "26743-01"


def vn(hour: int, minute: int = 0, day: int = 15) -> datetime:
    """A moment on election day (or ``day`` of March 2026), Ho Chi Minh City time."""
    return datetime(2026, 3, day, hour, minute, tzinfo=VN_TZ)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def links(session: Session, area: PollingArea) -> dict[ContestKind, PollingAreaUnit]:
    rows = session.scalars(sa.select(PollingAreaUnit).where(PollingAreaUnit.polling_area_id == area.id)).all()
    return {link.contest.kind: link for link in rows}


def voters(session: Session, area: PollingArea, contest: Contest) -> int:
    return elections.latest_voter_counts(session, [area.id])[(area.id, contest.id)].total


def good_numbers(session: Session, area: PollingArea, kind: ContestKind, *, voted: int | None = None) -> CountInput:
    """Minutes that pass every check: V = I = C, G + B = C, every candidate G/2 votes."""
    link = links(session, area)[kind]
    total = voters(session, area, link.contest)
    voted = voted if voted is not None else total - 100
    invalid = 10 if voted % 2 == 0 else 11
    valid = voted - invalid
    return CountInput(
        voters_on_list=total, voters_voted=voted, ballots_issued=voted, ballots_received=voted,
        valid=valid, invalid=invalid, votes={c.id: valid // 2 for c in link.unit.candidates},
    )


def count_data(w: World, numbers: CountInput, **overrides: object) -> CountData:
    area = w.area(AREA)
    signers = tuple(m.id for m in area.team[:3])
    values: dict[str, object] = {"numbers": numbers, "signer_ids": signers,
                                 "witnesses": ("Nguyễn Văn Chứng", "Lê Thị Kiến")}
    values.update(overrides)
    return CountData(**values)  # type: ignore[arg-type]


def jpeg_bytes(width: int = 320, height: int = 240, *, exif_gps: bool = False, fmt: str = "JPEG") -> bytes:
    from PIL import Image

    image = Image.new("RGB", (width, height), (200, 30, 30))
    out = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: (21.0, 1.0, 30.0)}  # GPS IFD
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


def vote_early(session: Session, w: World, code: str = "26743-02") -> PollingArea:
    """The area voted a week before polling day; its units keep polling-day areas, so the early-vote seal holds
    all polling day until the close (webapp.reports.secrecy), as it did in 2026 with 218 such areas."""
    from datetime import timedelta

    from webapp.reports import secrecy

    area = w.area(code)
    area.early_voting_date = elections.current_election(session).polling_date - timedelta(days=7)
    session.flush()
    assert secrecy.sealed_pairs(session).areas, "the seal must hold on polling day"
    return area
