"""Background jobs (công việc chạy nền): an import, an export, kept with their progress and outcome."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base, enum_type


class JobKind(enum.StrEnum):
    IMPORT = "import"
    EXPORT = "export"


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    # The file had problems: the per-row report is in ``result``; nothing was written.
    REJECTED = "rejected"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.REJECTED, JobState.FAILED)


class Job(Base):
    """One job, seen only by the account that started it. ``heartbeat_at`` is touched every few seconds while
    a worker runs it, so that a job whose worker died is found and marked failed, never left running."""

    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_state_heartbeat", "state", "heartbeat_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(enum_type(JobKind, 10))
    dataset: Mapped[str] = mapped_column(sa.String(40))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[JobState] = mapped_column(enum_type(JobState, 10), default=JobState.QUEUED)
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None]
    # What to tell the user, as a message id and its parameters: translated when shown.
    message: Mapped[str] = mapped_column(sa.String(300), default="")
    message_params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # The file a finished export wrote (a name inside the jobs folder, never a path from the user).
    file_name: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
