"""The photo of the signed paper minutes: sent after the numbers, checked for real image content (never by
its name), re-encoded as JPEG without EXIF (no GPS position leaves the phone's photo), kept with its version."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import tempfile
import uuid
import warnings
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from webapp import scope
from webapp.accounts.models import User
from webapp.audit.models import Channel
from webapp.reports.common import (
    NotAllowed,
    ReportError,
    ReportLocked,
    ReportSuperseded,
    Submission,
    insert_once,
    may_submit,
    replayed,
)
from webapp.reports.models import CountReport, ReportPhoto, ReportStatus

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # about 7,700 × 5,200: more than any phone camera; bigger is a decompression bomb
MIN_LONG_SIDE = 200
STORED_LONG_SIDE = 2000  # the phone already shrinks to about 1,600
FORMATS = frozenset({"JPEG", "PNG", "WEBP"})


class PhotoRejected(ReportError):
    """``code``: empty, too_large, not_an_image, unsupported_format, too_many_pixels or too_small."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclasses.dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    width: int
    height: int
    sha256: str


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def process_image(content: bytes, *, max_bytes: int = MAX_BYTES) -> ProcessedImage:
    """Check that ``content`` is a JPEG, PNG or WebP picture of sane size, and re-encode it as JPEG."""
    if not content:
        raise PhotoRejected("empty")
    if len(content) > max_bytes:
        raise PhotoRejected("too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as probe:  # reads the header only
                if probe.format not in FORMATS:
                    raise PhotoRejected("unsupported_format")
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise PhotoRejected("too_many_pixels")
                if max(width, height) < MIN_LONG_SIDE:
                    raise PhotoRejected("too_small")
                probe.verify()
            with Image.open(io.BytesIO(content)) as image:
                image.load()
                upright = _flatten(ImageOps.exif_transpose(image))
                upright.thumbnail((STORED_LONG_SIDE, STORED_LONG_SIDE))
                out = io.BytesIO()
                # No exif= argument: the stored file carries no metadata at all.
                upright.save(out, "JPEG", quality=85, optimize=True)
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoRejected("too_many_pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise PhotoRejected("not_an_image") from exc
    data = out.getvalue()
    return ProcessedImage(data, upright.width, upright.height, hashlib.sha256(data).hexdigest())


def stored_path(upload_dir: Path, relative: str) -> Path:
    """Where a stored photo lies: ``relative`` (as kept in ``ReportPhoto.path``) under ``upload_dir``, never
    outside it (``ValueError``). New photos are named by ids and their hash only (``photo_path``); older rows
    keep the path they were stored under, which still resolves here as long as it stays inside the folder."""
    root = upload_dir.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or target == root:
        raise ValueError(f"outside the upload folder: {relative!r}")
    return target


def photo_path(report: CountReport, sha256: str) -> str:
    """The stored file's path relative to the upload folder: ids and hex digits only, never a code or any text
    somebody typed or imported (an area code once reached the disk this way: ``../../X``)."""
    return f"reports/{int(report.polling_area_id)}/{int(report.id)}-{sha256[:20]}.jpg"


def _store(upload_dir: Path, relative: str, data: bytes) -> None:
    target = stored_path(upload_dir, relative)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _refuse_unless_open(session: Session, report: CountReport) -> None:
    """The paper trail: a photo documents the version that counts, and only until the commune confirms it
    (confirmed minutes are changed only through a reopening, which makes them "received" again)."""
    if not report.is_latest:
        latest = session.scalar(sa.select(CountReport.version).where(
            CountReport.polling_area_id == report.polling_area_id, CountReport.contest_id == report.contest_id,
            CountReport.is_latest))
        raise ReportSuperseded(latest)
    if report.status is ReportStatus.CONFIRMED:
        raise ReportLocked("photo")


def _hold_open(session: Session, report: CountReport) -> None:
    """Lock the version's row while it is still the latest and unconfirmed, the same conditional UPDATE the
    review's decisions start with (webapp.review.services._claim): a confirmation racing this photo waits for
    our commit on PostgreSQL, and one that came first makes the photo refused, never attached to it."""
    table = CountReport.__table__
    held = session.execute(
        sa.update(table)
        .where(table.c.id == report.id, table.c.is_latest, table.c.status != ReportStatus.CONFIRMED)
        .values(status=table.c.status)
    ).rowcount  # type: ignore[attr-defined]
    if held != 1:
        session.refresh(report)
        _refuse_unless_open(session, report)
        raise ReportLocked("photo")


def attach_photo(
    session: Session,
    *,
    actor: User,
    report_id: int,
    content: bytes,
    client_uuid: uuid.UUID,
    channel: Channel,
    now: datetime,
    upload_dir: Path,
    max_bytes: int = MAX_BYTES,
) -> Submission[ReportPhoto]:
    """Attach a photo of the signed paper minutes to the version of the count minutes that counts, before the
    commune confirms it: ``ReportSuperseded`` for an older version, ``ReportLocked`` for confirmed minutes (ask
    the commune to reopen them). The attachment is audited with its version and the file's hash.

    The file is written under ``upload_dir`` (named by its content, so a retry writes nothing new) before
    the row is flushed. The same ``client_uuid``, or the same picture for the same version, returns the
    first photo and creates nothing. Raises ``PhotoRejected`` for anything that is not a sane picture.
    """
    report = scope.get(session, CountReport, report_id, actor)
    if not may_submit(actor, report.polling_area):
        raise NotAllowed
    matches = lambda p: p.count_report_id == report.id
    if (earlier := replayed(session, ReportPhoto, client_uuid, matches)) is not None:
        return earlier
    _refuse_unless_open(session, report)
    image = process_image(content, max_bytes=max_bytes)
    same = next((p for p in report.photos if p.sha256 == image.sha256), None)
    if same is not None:
        return Submission(same, True)
    _hold_open(session, report)
    relative = photo_path(report, image.sha256)
    _store(upload_dir, relative, image.data)

    def build() -> ReportPhoto:
        photo = ReportPhoto(
            report=report, sha256=image.sha256, content_type="image/jpeg", size=len(image.data),
            width=image.width, height=image.height, path=relative, client_uuid=client_uuid, channel=channel,
            uploaded_by=actor, uploaded_at=now,
        )
        session.add(photo)
        return photo

    return insert_once(session, ReportPhoto, client_uuid, build, matches)
