"""Building real files in memory and running imports as a given user."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from tests.world import World
from webapp.audit.models import AuditEntry
from webapp.imports import services
from webapp.imports.datasets import DATASETS

NOW = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
MAX_BYTES = 10 * 1024 * 1024


def headers(dataset: str) -> list[str]:
    return [c.header for c in DATASETS[dataset].columns]


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Dữ liệu"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], delimiter: str = ",", encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def read_xlsx(data: bytes, sheet: int = 0) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(data))
    return [list(r) for r in workbook.worksheets[sheet].iter_rows(values_only=True)]


def run(
    session: Session,
    w: World,
    username: str,
    dataset: str,
    data: bytes,
    filename: str = "file.xlsx",
    **kwargs: Any,
) -> services.ImportResult:
    return services.import_file(
        session,
        actor=w.user(username),
        dataset=dataset,
        filename=filename,
        data=data,
        now=kwargs.pop("now", NOW),
        max_bytes=kwargs.pop("max_bytes", MAX_BYTES),
        **kwargs,
    )


def rejected(
    session: Session,
    w: World,
    username: str,
    dataset: str,
    data: bytes,
    filename: str = "file.xlsx",
    **kwargs: Any,
) -> list[services.RowError]:
    try:
        run(session, w, username, dataset, data, filename, **kwargs)
    except services.ImportRejected as exc:
        return exc.errors
    raise AssertionError("the import was accepted")


def count(session: Session, model: type, *where: Any) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def audit_rows(session: Session, *where: Any) -> int:
    return count(session, AuditEntry, *where)


def export(session: Session, w: World, username: str, dataset: str) -> bytes:
    return services.export_workbook(session, user=w.user(username), dataset=dataset, translate=lambda s: s)


def counts(result: services.ImportResult) -> tuple[int, int, int]:
    return result.counts.created, result.counts.updated, result.counts.unchanged
