"""What a polling team says of its count, per ballot (contest): counting, counted, minutes signed, or irregular
(more ballots in the box than voters who voted: resealed and reported to the Ban). Rows are only added; a
station's state at a moment is its latest mark by then. Sent, received and confirmed are not marked: they are the
count minutes' own states (webapp.reports)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp import scope
from webapp.audit.models import Channel
from webapp.db import Base, enum_type


class Mark(enum.StrEnum):
    COUNTING = "counting"
    COUNTED = "counted"
    SIGNED = "signed"
    IRREGULAR = "irregular"


class CountMark(Base):
    """One mark of a station's count for one contest, as its leader (or the hotline, by phone) made it."""

    __tablename__ = "count_marks"
    __audit__ = True
    __table_args__ = (sa.Index("ix_count_marks_area_contest_at", "polling_area_id", "contest_id", "marked_at"),
                      sa.Index("ix_count_marks_commune", "election_id", "commune_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id"))
    polling_area_id: Mapped[int] = mapped_column(sa.ForeignKey("polling_areas.id"))
    province_id: Mapped[int] = mapped_column(sa.ForeignKey("provinces.id"), index=True)
    commune_id: Mapped[int] = mapped_column(sa.ForeignKey("communes.id"))
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contests.id"))
    mark: Mapped[Mark] = mapped_column(enum_type(Mark, 12))
    client_uuid: Mapped[uuid.UUID] = mapped_column(unique=True)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, 10))
    marked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    marked_at: Mapped[datetime]

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        return (self.province_id, self.commune_id, self.polling_area_id)


scope.register(CountMark, scope.by_place(CountMark.province_id, CountMark.commune_id, CountMark.polling_area_id))
