"""Issue 16 §2: the phone's checks of a count minutes (static/js/checks.js) say exactly what the server's do
(webapp/reports/checks.py and check_messages.py, the authority). Hypothesis generates minutes, near-consistent
ones perturbed so that every check both passes and fails (300 examples reach every code of checks 1–10 and 13); node runs the script as the phone does (with the strings
of /_/text.js), and the findings (check, code, severity, fields, numbers) and the sentences in Vietnamese and in
English must be identical. Without node the test skips, or fails when ``CI=true``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from webapp import ROOT
from webapp.offline import views as offline_views
from webapp.reports.check_messages import describe
from webapp.reports.checks import CountContext, CountInput, check_count
from webapp.reports.forms import count_form, parse_number

DRIVER = r"""
globalThis.self = globalThis;
eval(require("fs").readFileSync(process.argv[2], "utf8"));
const Checks = require(process.argv[3]);
const rl = require("readline").createInterface({ input: process.stdin });
rl.on("line", (line) => {
  const job = JSON.parse(line);
  let data = job.data;
  if (job.raw) {
    data = Checks.fromForm((name) => job.raw[name] || "", job.ctx.seats, job.ctx.candidate_ids);
  }
  const findings = Checks.checkCount(data, job.ctx);
  const words = {};
  for (const lang of ["vi", "en"]) words[lang] = findings.map((f) => Checks.describe(f, job.names, lang));
  const parsed = (job.texts || []).map((t) => Checks.parseNumber(t));
  process.stdout.write(JSON.stringify({ findings, words, parsed }) + "\n");
});
"""

NAMES = {1: "Nguyễn Văn An", 2: "Trần Thị Bình", 3: "Lê Văn Cường", 4: "Phạm Thị Dung", 5: "Hoàng Văn Em"}


class Phone:
    """One node process running checks.js; ``ask(job)`` sends a job, returns the answer."""

    def __init__(self, app: Flask, tmp: Path) -> None:
        node = shutil.which("node")
        if not node:
            if os.environ.get("CI") == "true":
                pytest.fail("node is required to compare static/js/checks.js with the server's checks")
            pytest.skip("node is not installed")
        with app.test_request_context():
            (tmp / "text.js").write_bytes(offline_views._js_text()[0])
        (tmp / "driver.js").write_text(DRIVER, encoding="utf-8")
        self.process = subprocess.Popen(
            [node, str(tmp / "driver.js"), str(tmp / "text.js"), str(ROOT / "static" / "js" / "checks.js")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1)

    def ask(self, job: dict) -> dict:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(job, ensure_ascii=False) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "node stopped"
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()  # type: ignore[union-attr]
        self.process.wait(timeout=10)
        self.process.stdout.close()  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def phone(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Phone]:
    node = Phone(app, tmp_path_factory.mktemp("checks"))
    yield node
    node.close()


def _server(app: Flask, data: CountInput, ctx: CountContext) -> tuple[list[dict], dict[str, list[str]]]:
    findings = check_count(data, ctx)
    as_json = [{"check": f.check, "code": f.code, "severity": f.severity.value, "fields": list(f.fields),
                "params": dict(f.params)} for f in findings]
    words = {}
    with app.test_request_context():
        for lang in ("vi", "en"):
            with force_locale(lang):
                words[lang] = [describe(f, NAMES) for f in findings]
    return as_json, words


# ---- Generated minutes --------------------------------------------------------------------------------------------
def _nudge(value: int) -> st.SearchStrategy[int]:
    return st.one_of(st.just(value), st.just(value), st.integers(max(0, value - 3), value + 3))


@st.composite
def minutes(draw: st.DrawFn) -> tuple[dict, dict]:
    """(numbers, context): a consistent minutes, each number then often left alone and sometimes nudged."""
    seats = draw(st.integers(1, 4))
    candidates = draw(st.integers(seats, min(5, seats + 2)))
    ids = list(range(1, candidates + 1))
    on_list = draw(st.integers(0, 3000))
    voted = draw(st.integers(0, on_list))
    received = voted
    valid = draw(st.integers(0, received))
    kept = {k: 0 for k in range(1, seats + 1)}
    for _ in range(min(valid, 20)):
        kept[draw(st.integers(1, seats))] += 1
    kept[1] += valid - sum(kept.values())
    votes_total = sum(k * n for k, n in kept.items())
    split = sorted(draw(st.lists(st.integers(0, votes_total), min_size=candidates - 1, max_size=candidates - 1)))
    votes = [b - a for a, b in zip([0, *split], [*split, votes_total])]
    numbers = {
        "voters_on_list": draw(_nudge(on_list)), "voters_voted": draw(_nudge(voted)),
        "ballots_issued": draw(_nudge(voted)), "ballots_received": draw(_nudge(received)),
        "valid": draw(_nudge(valid)), "invalid": draw(_nudge(received - valid)),
        "complaints_received": 0, "complaints_resolved": 0, "complaints_forwarded": 0,
        "votes": {cid: draw(_nudge(v)) for cid, v in zip(ids, votes)},
        "names_kept": draw(st.one_of(st.none(), st.just({k: draw(_nudge(n)) for k, n in kept.items()}))),
    }
    if numbers["names_kept"] is not None and draw(st.booleans()):
        numbers["names_kept"][seats + 1] = draw(st.integers(0, 2))  # a ballot keeping more names than seats
    # Check 1: now and then a value blank, malformed or negative (as parse_number leaves them, or worse).
    for name in draw(st.lists(st.sampled_from(["voters_voted", "valid", "invalid", "complaints_received"]),
                              max_size=2)):
        numbers[name] = draw(st.sampled_from([None, "12a", "٣", -4]))
    if draw(st.integers(0, 4)) == 0:
        numbers["votes"][ids[0]] = draw(st.sampled_from([None, "x", -1]))
    context = {"seats": seats, "candidate_ids": ids,
               "last_turnout": draw(st.one_of(st.none(), _nudge(voted))),
               "frozen_voters": draw(st.one_of(st.none(), _nudge(on_list)))}
    # Check 10: often no inventory (older clients), else a consistent one nudged, now and then a figure blank.
    if draw(st.booleans()):
        spoiled, unused = draw(st.integers(0, 20)), draw(st.integers(0, 200))
        numbers.update(ballots_from_commune=draw(_nudge(voted + spoiled + unused)),
                       ballots_spoiled=draw(_nudge(spoiled)), ballots_unused=draw(_nudge(unused)))
        if draw(st.integers(0, 4)) == 0:
            numbers[draw(st.sampled_from(["ballots_spoiled", "ballots_unused"]))] = draw(st.sampled_from([None, -2]))
    # Check 9: a candidate's votes missing, or votes for somebody who is not a candidate here.
    shape = draw(st.integers(0, 5))
    if shape == 0:
        numbers["votes"].pop(ids[-1])
    elif shape == 1:
        numbers["votes"][99] = draw(st.integers(0, 5))
    return numbers, context


def _input(numbers: dict) -> CountInput:
    return CountInput(**numbers)


def _context(context: dict) -> CountContext:
    return CountContext(seats=context["seats"], candidate_ids=frozenset(context["candidate_ids"]),
                        last_turnout=context["last_turnout"], frozen_voters=context.get("frozen_voters"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minutes())
def test_the_phone_finds_what_the_server_finds(app, phone, example):
    numbers, context = example
    expected, words = _server(app, _input(numbers), _context(context))
    answer = phone.ask({"data": {**numbers, "votes": {str(k): v for k, v in numbers["votes"].items()},
                                 "names_kept": None if numbers["names_kept"] is None else
                                 {str(k): v for k, v in numbers["names_kept"].items()}},
                        "ctx": context, "names": {str(k): v for k, v in NAMES.items()}})
    assert answer["findings"] == expected
    assert answer["words"] == words


TEXTS = st.one_of(
    st.integers(0, 2_000_000).map(str),
    st.integers(1000, 99_999_999).map(lambda n: f"{n:,}".replace(",", ".")),
    st.integers(1000, 999_999).map(lambda n: f"{n:,}".replace(",", " ")),
    st.sampled_from(["", " ", " 7 ", "-5", "12a", "٣", "1.2.3", "1 234", "99999999999", "100000000", "0012",
                     "1,234", "1.23", "12.3456"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_the_phone_reads_a_typed_form_as_the_server_does(app, phone, data):
    """What the leader typed, read by the phone (checks.fromForm) and by the server (CountForm.numbers)."""
    seats = data.draw(st.integers(1, 3))
    ids = list(range(1, data.draw(st.integers(seats, 4)) + 1))
    names = ["voters_on_list", "voters_voted", "ballots_issued", "ballots_received", "valid", "invalid",
             "complaints_received", "complaints_resolved", "complaints_forwarded",
             *(("ballots_from_commune", "ballots_spoiled", "ballots_unused") if data.draw(st.booleans()) else ()),
             *(f"votes_{cid}" for cid in ids), *(f"names_kept_{k}" for k in range(1, seats + 1))]
    raw = {name: data.draw(TEXTS, label=name) for name in names}
    context = {"seats": seats, "candidate_ids": ids, "last_turnout": data.draw(st.one_of(st.none(),
                                                                                        st.integers(0, 3000))),
               "frozen_voters": data.draw(st.one_of(st.none(), st.integers(0, 3000)))}
    with app.test_request_context():
        form = count_form(seats, [(cid, NAMES[cid]) for cid in ids], [], formdata=MultiDict(raw),
                             meta={"csrf": False})
        numbers = form.numbers()
    expected, words = _server(app, numbers, _context(context))
    answer = phone.ask({"raw": raw, "ctx": context, "names": {str(k): v for k, v in NAMES.items()},
                        "texts": list(raw.values())})
    assert answer["parsed"] == [parse_number(t) for t in raw.values()]
    assert answer["findings"] == expected
    assert answer["words"] == words
