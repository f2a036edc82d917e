"""A follow-up vote of one unit: an election of its own, derived from the first vote as a drill is.

The follow-up vote is a row of ``elections`` made from the first vote's (``source_election_id``, not a drill) with one
contest of the unit's kind, one copy of the unit (its seats: those still to fill, for an additional election), the
copied candidates who stand again, the links of the stations that vote again and their voter counts from the first
vote's list. Turnout reports, count minutes, review, progress and results key on contests and elections already
(``webapp.elections.working``): bound to the follow-up's election, every one of them works unchanged, and the first
vote's figures stay exactly as they were. This row says which unit of the first vote it follows and how.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base, enum_type
from webapp.elections.models import Election, ElectoralUnit
from webapp.followups.rules import FollowUpKind


class FollowUpVote(Base):
    __tablename__ = "follow_up_votes"
    __audit__ = True
    __table_args__ = (sa.UniqueConstraint("unit_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The follow-up's own election (its polling date, report times, contest, unit copy, candidates, links).
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("elections.id"), unique=True)
    # The unit of the first vote that it follows, and the unit copy the follow-up votes in.
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("electoral_units.id"), index=True)
    own_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("electoral_units.id"))
    kind: Mapped[FollowUpKind] = mapped_column(enum_type(FollowUpKind, 12))
    # A repeat of an additional election follows that additional election (None: follows the first vote).
    follows_id: Mapped[int | None] = mapped_column(sa.ForeignKey("follow_up_votes.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime]

    election: Mapped[Election] = relationship(foreign_keys=[election_id])
    unit: Mapped[ElectoralUnit] = relationship(foreign_keys=[unit_id])

    def audit_place(self) -> tuple[int | None, int | None, int | None]:
        unit = self.unit
        return (unit.province_id, unit.commune_id, None) if unit else (None, None, None)
