"""The queue knows its handlers by name (webapp.jobs.queue): what the app registers, a name taken twice, a name
nobody registered, the minute tasks; and the import graph of webapp has no cycle (scripts/import_cycles.py)."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from webapp.jobs import queue

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_registers_every_handler_the_web_workers_send(app: Flask) -> None:
    # What runner.submit and results.batch.start enqueue, and the consumer's minute tasks.
    assert {"job", "pdf-batch"} <= set(queue._HANDLERS)
    assert {"reap-stale-jobs", "freeze-voter-lists"} <= set(queue._EVERY_MINUTE)


def test_a_name_taken_by_another_function_is_refused(app: Flask) -> None:
    def other(job_id: int) -> None:
        raise AssertionError("never run")

    with pytest.raises(ValueError, match="two job handlers named 'job'"):
        queue.handler("job")(other)
    from webapp.jobs import runner

    assert queue.handler("job")(runner.run) is runner.run  # the same function again (a re-import): accepted
    assert queue._HANDLERS["job"] is runner.run


def test_an_unknown_name_fails_in_the_sender(app: Flask) -> None:
    with app.app_context(), pytest.raises(LookupError, match="no job handler named 'nobody'"):
        queue.enqueue("nobody", 1)


def test_a_failing_minute_task_does_not_stop_the_others(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    def broken() -> None:
        ran.append("broken")
        raise RuntimeError("boom")

    monkeypatch.setattr(queue, "_EVERY_MINUTE", {"a-broken": broken, "b-fine": lambda: ran.append("fine")})
    with app.app_context(), caplog.at_level(logging.ERROR, logger="webapp.jobs.queue"):
        queue._minute.call_local()
    assert ran == ["broken", "fine"]
    assert "the minute task a-broken failed" in caplog.text


def test_the_modules_of_webapp_import_one_another_without_a_cycle() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "import_cycles.py")], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout
    assert done.stdout.startswith("0 import cycle(s) among "), done.stdout
