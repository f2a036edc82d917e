"""What every import shares: the row errors it collects, the counts it reports, and the importer's reach."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from webapp.accounts.models import Role, User
from webapp.elections.models import Contest, ContestKind, Election
from webapp.scope import Level, Scope

T = TypeVar("T")


def N_(message: str) -> str:
    """Marks a message id for extraction; the view translates it with its parameters."""
    return message


@dataclasses.dataclass
class RowError:
    """One problem: the spreadsheet row (0 for the whole file), the column header, and what is wrong."""

    row: int
    column: str
    message_id: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


class ImportRejected(Exception):
    """The file was refused; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problems")
        self.errors = errors


def file_error(message_id: str, **params: Any) -> ImportRejected:
    return ImportRejected([RowError(0, "", message_id, params)])


@dataclasses.dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    voter_counts_added: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


# Rows fetched at a time by an export (Core rows, never the whole result in memory).
EXPORT_BATCH = 2000
# Rows written per statement by an import that writes with Core.
WRITE_BATCH = 1000

IMPORTER_ROLES = (Role.ADMIN, Role.PROVINCE, Role.COMMUNE)
OUT_OF_AREA = N_("Not within your area.")


@dataclasses.dataclass
class Context:
    """The importer, their scope, the clock and the election being configured; errors collect here."""

    session: Session
    actor: User
    now: datetime
    election: Election
    contests: dict[ContestKind, Contest]
    errors: list[RowError] = dataclasses.field(default_factory=list)

    @property
    def scope(self) -> Scope:
        return Scope.of(self.actor)

    def error(self, row: int, column: str, message_id: str, **params: Any) -> None:
        self.errors.append(RowError(row, column, message_id, params))

    def may_write_place(self, province_id: int | None, commune_id: int | None) -> bool:
        """A commune or polling area is writable when it lies inside the importer's province or commune."""
        scope = self.scope
        if scope.level is Level.NATION:
            return True
        if scope.level is Level.PROVINCE:
            return province_id == scope.province_id
        if scope.level is Level.COMMUNE:
            return commune_id is not None and commune_id == scope.commune_id
        return False

    def may_write_unit(self, kind: ContestKind, province_id: int, commune_id: int | None) -> bool:
        """A commune official configures only their own commune's council units."""
        scope = self.scope
        if scope.level is Level.COMMUNE:
            return kind is ContestKind.COMMUNE_COUNCIL and commune_id == scope.commune_id
        return self.may_write_place(province_id, commune_id)


def chunks(items: Iterable[T], size: int = 500) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclasses.dataclass
class Plan:
    """What an import will do once every row has passed: the counts, and the writes in order."""

    counts: Counts = dataclasses.field(default_factory=Counts)
    steps: list[Callable[[], None]] = dataclasses.field(default_factory=list)

    def apply(self) -> None:
        for step in self.steps:
            step()


def changed(obj: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The values that differ from what ``obj`` holds."""
    return {key: value for key, value in values.items() if getattr(obj, key) != value}


def setter(obj: Any, values: dict[str, Any]) -> Callable[[], None]:
    def step() -> None:
        for key, value in values.items():
            setattr(obj, key, value)

    return step
