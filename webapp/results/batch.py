"""A commune's count minutes in one PDF, made in the background so that no request waits for it.

The request renders the HTML of every form (fast) and hands it to the job queue (``webapp.jobs.queue``), whose
consumer runs WeasyPrint (slow: about a tenth of a second per page) with no database access. The file is named by the
commune and a fingerprint of the minutes it holds (``minutes.commune_fingerprint``): it is written to
``<name>.pdf.part`` and renamed when complete, so a file that exists is always whole, and a new version of any
station's minutes gives a new name. The ``.part`` file, created exclusively, also keeps two workers (or two
clicks) from making the same file at once; one left behind by a crash is ignored after ``STALE_AFTER``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

from webapp.jobs import queue
from webapp.results.pdf import write_pdf

log = logging.getLogger(__name__)

STALE_AFTER = 15 * 60  # seconds: a .part file older than this belongs to a job that died


@dataclasses.dataclass(frozen=True)
class Batch:
    directory: Path
    commune_code: str
    fingerprint: str
    contents: str = "bien-ban-kiem-phieu"  # what the PDF holds: the count minutes, or the voter lists
    drill: str = ""  # a drill's code: its files are named apart, and never replace the real election's

    @property
    def prefix(self) -> str:
        """What every batch of this commune in this election is named with (the real one: no drill prefix)."""
        return f"{'dien-tap-' + self.drill + '-' if self.drill else ''}{self.contents}-{self.commune_code}-"

    @property
    def stem(self) -> str:
        return f"{self.prefix}{self.fingerprint}"

    @property
    def pdf(self) -> Path:
        return self.directory / f"{self.stem}.pdf"

    @property
    def part(self) -> Path:
        return self.directory / f"{self.stem}.pdf.part"

    @property
    def error(self) -> Path:
        return self.directory / f"{self.stem}.error"

    @property
    def state(self) -> str:
        """ready | running | failed | none."""
        if self.pdf.exists():
            return "ready"
        if self.part.exists() and not _stale(self.part):
            return "running"
        if self.error.exists():
            return "failed"
        return "none"


def _stale(path: Path) -> bool:
    try:
        return time.time() - path.stat().st_mtime > STALE_AFTER
    except FileNotFoundError:
        return False


def _claim(batch: Batch) -> bool:
    """Create the .part file exclusively: True if this caller is the one to make the PDF."""
    batch.directory.mkdir(parents=True, exist_ok=True)
    if _stale(batch.part):
        batch.part.unlink(missing_ok=True)
    try:
        fd = os.open(batch.part, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    batch.error.unlink(missing_ok=True)
    return True


@queue.handler("pdf-batch")
def run(batch: Batch, documents: Sequence[str], static_folder: str) -> None:
    """Make the PDF (in the job consumer)."""
    started = time.perf_counter()
    try:
        write_pdf(documents, static_folder, str(batch.part))
        os.replace(batch.part, batch.pdf)
    except Exception as exc:  # the consumer has no one to raise to: leave the reason for the status page
        log.exception("batch %s failed", batch.stem)
        batch.error.write_text(type(exc).__name__, encoding="utf-8")
        batch.part.unlink(missing_ok=True)
        return
    # Only this place's and form's older versions: the fingerprint's length keeps another place whose code
    # begins with this one's (a unit "QH-79-01-2" beside "QH-79-01") out of the pattern.
    for old in batch.directory.glob(f"{batch.prefix}{'?' * len(batch.fingerprint)}.pdf"):
        if old != batch.pdf:
            old.unlink(missing_ok=True)
    log.info("batch %s: %d forms in %.1f s", batch.stem, len(documents), time.perf_counter() - started)


def start(batch: Batch, documents: Sequence[str], static_folder: str) -> str:
    """Queue the making of the batch unless it exists or is being made; returns its state. The claim (.part)
    is taken here, so that two clicks queue one job; a job whose consumer died leaves a .part that goes stale."""
    if batch.state in ("ready", "running") or not _claim(batch):
        return batch.state
    try:
        queue.enqueue("pdf-batch", batch, list(documents), static_folder)
    except Exception:  # the queue is unreachable: release the claim, so the page offers to try again
        log.exception("batch %s could not be queued", batch.stem)
        batch.error.write_text("queue", encoding="utf-8")
        batch.part.unlink(missing_ok=True)
    return batch.state
