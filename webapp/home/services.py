"""What each role's home page shows about its place in the hierarchy."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import scope
from webapp.accounts.models import Role, User
from webapp.elections.models import Contest, ElectoralUnit, PollingArea
from webapp.geo.models import Commune, Province


@dataclasses.dataclass
class AreaSummary:
    provinces: int
    communes: int
    polling_areas: int
    units_by_contest: list[tuple[Contest, int, int]]  # contest, units, seats
    leaders_active: int
    leaders_pending: int


def area_summary(session: Session, user: User) -> AreaSummary:
    """Counts of what lies in the user's scope, each from one aggregate query."""
    count = lambda model: session.scalar(  # noqa: E731
        sa.select(sa.func.count()).select_from(model).where(scope.visible(model, user))
    ) or 0
    unit_rows = session.execute(
        sa.select(Contest, sa.func.count(ElectoralUnit.id), sa.func.coalesce(sa.func.sum(ElectoralUnit.seats), 0))
        .join(ElectoralUnit, ElectoralUnit.contest_id == Contest.id)
        .where(scope.visible(ElectoralUnit, user))
        .group_by(Contest.id)
        .order_by(Contest.id)
    ).all()
    leaders = session.execute(
        sa.select(User.password_hash.is_(None), sa.func.count())
        .where(User.role == Role.LEADER, scope.visible(User, user))
        .group_by(User.password_hash.is_(None))
    ).all()
    pending = sum(n for is_pending, n in leaders if is_pending)
    active = sum(n for is_pending, n in leaders if not is_pending)
    return AreaSummary(
        provinces=count(Province),
        communes=count(Commune),
        polling_areas=count(PollingArea),
        units_by_contest=[(c, n, s) for c, n, s in unit_rows],
        leaders_active=active,
        leaders_pending=pending,
    )
