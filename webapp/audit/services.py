"""Every write to an audited model leaves an AuditEntry, written in the same transaction.

Models opt in with ``__audit__ = True`` and say where they sit with ``audit_place()``. The acting user,
channel and address travel on ``session.info["audit"]``; the web layer binds them once per request,
the CLI and importers bind their own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import decimal
import enum
import functools
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from webapp.audit.models import AuditEntry, Channel
from webapp.clock import utcnow


@dataclasses.dataclass(frozen=True)
class AuditContext:
    actor_id: int | None
    actor_username: str
    channel: Channel
    ip: str = ""
    clock: Callable[[], dt.datetime] = utcnow
    session_id: int | None = None  # user_sessions.id of a signed-in browser's request


SYSTEM = AuditContext(None, "", Channel.SYSTEM)


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who writes (người thực hiện): the account, the channel the write came by and the address it came from. One
    value feeds both what a service stores (a report's ``submitted_by`` and ``channel``) and the audit entry of
    that write, so the two cannot disagree (the hotline's entry by phone is the channel PHONE on both)."""

    user: Any  # webapp.accounts.models.User (accounts imports this module)
    channel: Channel
    ip: str = ""
    session_id: int | None = None  # user_sessions.id of a signed-in browser's request

    def context(self, clock: Callable[[], dt.datetime] = utcnow) -> AuditContext:
        return AuditContext(self.user.id, self.user.username, self.channel, self.ip, clock, self.session_id)


def bind(session: Session, context: AuditContext) -> None:
    session.info["audit"] = context


@contextlib.contextmanager
def acting(session: Session, actor: Actor | None) -> Iterator[None]:
    """The writes within are audited as ``actor``'s (by its channel: the hotline's entry by phone is PHONE), on
    the session's audit clock."""
    outer = context_of(session)
    if actor is not None:
        bind(session, actor.context(outer.clock))
    try:
        yield
    finally:
        bind(session, outer)


def context_of(session: Session) -> AuditContext:
    return session.info.get("audit", SYSTEM)


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.date, dt.time, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    return value


@functools.cache
def _columns_of(cls: type) -> tuple[str, ...]:
    redacted = set(getattr(cls, "__audit_redact__", ()))
    return tuple(a.key for a in sa.inspect(cls).column_attrs if a.key not in redacted)


def _columns(obj: Any) -> tuple[str, ...]:
    return _columns_of(type(obj))


def snapshot(obj: Any) -> dict[str, Any]:
    """The object's columns; a model whose child rows are audited inside its own entry (``audit_children``,
    e.g. the votes of a count minutes) adds them."""
    values = {key: _jsonable(getattr(obj, key)) for key in _columns(obj)}
    children = getattr(obj, "audit_children", None)
    return values | children() if children is not None else values


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = sa.inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    redacted = set(getattr(obj, "__audit_redact__", ()))
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        if attr.key in redacted:
            before[attr.key] = after[attr.key] = "***"
            continue
        before[attr.key] = _jsonable(hist.deleted[0]) if hist.deleted else None
        after[attr.key] = _jsonable(hist.added[0]) if hist.added else None
    return before, after


def _identity(obj: Any) -> str:
    # After a flush a new row has its primary key but not yet its identity key: read the key from the row.
    state = sa.inspect(obj)
    ident = state.identity or state.mapper.primary_key_from_instance(obj)
    return ":".join(str(part) for part in ident) if ident and None not in ident else ""


def _row(ctx: AuditContext, now: dt.datetime, action: str, obj: Any, before: Any, after: Any) -> dict[str, Any]:
    return _entry(ctx, now, action, obj.__tablename__, _identity(obj), obj.audit_place(), before, after)


Place = tuple[int | None, int | None, int | None]


def _entry(ctx: AuditContext, now: dt.datetime, action: str, entity_type: str, entity_id: str, place: Place,
           before: Any, after: Any) -> dict[str, Any]:
    province_id, commune_id, polling_area_id = place
    return {
        "at": now,
        "actor_id": ctx.actor_id,
        "actor_username": ctx.actor_username,
        "channel": ctx.channel,
        "ip": ctx.ip,
        "session_id": ctx.session_id,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "province_id": province_id,
        "commune_id": commune_id,
        "polling_area_id": polling_area_id,
        "before": before,
        "after": after,
    }


def _after_flush(session: Session, _flush_context: Any) -> None:
    ctx = context_of(session)
    now = ctx.clock()
    rows: list[dict[str, Any]] = []
    for obj in session.new:
        if getattr(obj, "__audit__", False):
            rows.append(_row(ctx, now, "create", obj, None, snapshot(obj)))
    for obj in session.dirty:
        if getattr(obj, "__audit__", False) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if before or after:
                rows.append(_row(ctx, now, "update", obj, before, after))
    for obj in session.deleted:
        if getattr(obj, "__audit__", False):
            rows.append(_row(ctx, now, "delete", obj, snapshot(obj), None))
    if rows:
        session.connection().execute(_insert_statement(), rows)


@functools.cache
def _insert_statement() -> sa.Insert:
    return sa.insert(AuditEntry)  # built once: the listener runs on every flush


def install() -> None:
    """Listen on every Session; idempotent."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``before`` and ``after`` of an update entry for columns set with Core: only those whose value changed,
    as the ORM listener records them."""
    changed = [key for key in after if before[key] != after[key]]
    return {k: _jsonable(before[k]) for k in changed}, {k: _jsonable(after[k]) for k in changed}


def snapshot_of(cls: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """What ``snapshot`` gives for a row of ``cls`` with these column values (a row written with Core)."""
    return {key: _jsonable(values[key]) for key in _columns_of(cls)}


@dataclasses.dataclass(frozen=True)
class Written:
    """A row written with Core, which the ORM listener cannot see: audited with ``record_written``."""

    action: str  # create, update, delete
    entity_type: str  # the table
    entity_id: str  # as the listener writes it: the primary key's parts joined with ":"
    place: Place
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def record_written(session: Session, rows: Iterable[Written], actor: Actor | None = None) -> None:
    """Audit entries for rows written with Core, in one INSERT in the session's transaction: the same entries the
    ORM listener would have written for them. By ``actor`` when given (a report version: the one who sent it),
    else by the session's bound context; the time is always the session's audit clock."""
    ctx = context_of(session)
    if actor is not None:
        ctx = actor.context(ctx.clock)
    now = ctx.clock()
    entries = [_entry(ctx, now, r.action, r.entity_type, r.entity_id, r.place, r.before, r.after) for r in rows]
    if entries:
        # A list, even of one: executed as "many", so no RETURNING of the new ids is asked for.
        session.connection().execute(_insert_statement(), entries)


def record_event(
    session: Session,
    *,
    action: str,
    entity_type: str,
    entity_id: str = "",
    place: Place = (None, None, None),
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """An audited event that is not a row change: a login, a bulk import, "log out everywhere"."""
    ctx = context_of(session)
    session.add(AuditEntry(**_entry(ctx, ctx.clock(), action, entity_type, entity_id, place, before, after)))
