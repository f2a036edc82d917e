"""The reports' clock: real time, an override frozen for demos, or an override running k times faster (the
election-day rehearsal, benchmarks/election_day.py), the same on every worker."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from flask import Flask

from tests.reports.helpers import vn
from types import SimpleNamespace

from webapp.clock import election_now, reporting_now


def test_without_an_override_the_clock_is_real_time(app: Flask) -> None:
    with app.app_context():
        assert abs(reporting_now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_an_override_alone_stays_frozen(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", "2026-03-15T09:05")
    with app.app_context():
        first = reporting_now()
        time.sleep(0.05)
        assert reporting_now() == first == vn(9, 5)


def test_an_override_with_a_start_runs_rate_times_faster(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(9, 5).isoformat())
    # Started 10 real seconds ago at 60 times real time: 10 virtual minutes have passed.
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_STARTED_AT", time.time() - 10)
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_RATE", 60)
    with app.app_context():
        now = reporting_now()
    assert vn(9, 15) <= now < vn(9, 15) + timedelta(seconds=30)


def test_a_drill_runs_on_real_time_or_on_a_running_clock_never_on_a_frozen_one(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    drill, real = SimpleNamespace(is_drill=True), SimpleNamespace(is_drill=False, source_election_id=None)
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(9, 5).isoformat())
    with app.app_context():
        assert election_now(real) == vn(9, 5)  # the demo's frozen clock
        assert abs(election_now(drill) - datetime.now(UTC)) < timedelta(seconds=5)  # a drill: real time
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_STARTED_AT", time.time() - 10)
    with app.app_context():
        for election in (real, drill):  # a running clock (a rehearsal, a test's afternoon) moves both alike
            assert vn(9, 5) + timedelta(seconds=9) <= election_now(election) < vn(9, 5) + timedelta(seconds=40)
