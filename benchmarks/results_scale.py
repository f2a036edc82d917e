"""Results at scale: a province of about 5,000 stations, and the time to print the official forms.

    .venv/bin/python benchmarks/results_scale.py --db postgres     # database baucu_results_bench (recreated)
    .venv/bin/python benchmarks/results_scale.py --db sqlite       # /tmp/results_bench.sqlite3

Loads the demo, then gives Ho Chi Minh City 13 National Assembly units and 40 provincial units with their
candidates, ``--areas`` polling areas (default 5,000) mapped to them, and count minutes of every area for both
contests (nine in ten confirmed, the rest awaiting review; one station in ten also has an older version). Bến
Thành grows from 12 to 60 stations with minutes for its three contests. Prints the time of ``committee_results``
for the province, the query plans of its GROUP BYs (PostgreSQL: EXPLAIN ANALYZE), and the time to render one
form (a station's count minutes and, beside it, its Mẫu 32), Bến Thành's 36 demo minutes and the 60-station
commune's 180 minutes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webapp import create_app, migrate
from webapp.accounts.models import Role, User
from webapp.audit import services as audit
from webapp.audit.models import Channel
from webapp.db import make_engine
from webapp.elections.models import (
    Candidate,
    Contest,
    ContestKind,
    ElectoralUnit,
    Gender,
    PollingArea,
    PollingAreaUnit,
    TeamMember,
    TeamRole,
)
from webapp.geo.models import Commune, Province
from webapp.reports.models import CountReport, CountVote, ReportStatus
from webapp.reports.receipts import ALPHABET
from webapp.results import minutes, queries, services
from webapp.results.pdf import render_form, write_pdf
from webapp.seed import demo

# Several people measure on one machine: --sqlite-path gives a run a file of its own.
SQLITE_PATH = "/tmp/results_bench.sqlite3"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_NAME = "baucu_results_bench"
NOW = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
SENT = datetime(2026, 3, 15, 13, 30, tzinfo=UTC)


def recreate(kind: str) -> str:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(SQLITE_PATH + suffix).unlink(missing_ok=True)
        return f"sqlite:///{SQLITE_PATH}"
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{PG_NAME}"')
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_NAME


class Receipts:
    """Distinct six-character receipts, counted in the receipt alphabet."""

    def __init__(self) -> None:
        self.n = 0

    def next(self) -> str:
        self.n += 1
        n, out = self.n, []
        for _ in range(6):
            n, digit = divmod(n, len(ALPHABET))
            out.append(ALPHABET[digit])
        return "".join(out)


def _units(session: Session, province: Province, contest: Contest, count: int, seats: int, candidates: int,
           prefix: str) -> list[ElectoralUnit]:
    units = []
    for n in range(1, count + 1):
        unit = ElectoralUnit(contest=contest, province=province, code=f"{prefix}-{n:02d}", number=100 + n,
                             name=f"Đơn vị bầu cử số {100 + n}", seats=seats)
        session.add(unit)
        for order in range(1, candidates + 1):
            session.add(Candidate(unit=unit, full_name=f"Người ứng cử {n}-{order}", name_folded=f"nguoi {n} {order}",
                                  birth_date=date(1960 + order, 1, order), gender=Gender.MALE, ballot_order=order))
        units.append(unit)
    session.flush()
    return units


def _report_rows(area_id: int, unit: ElectoralUnit, contest_id: int, i: int, receipts: Receipts,
                 user_id: int) -> tuple[list[dict[str, Any]], list[list[int]]]:
    """The versions of one area's minutes (an older one for one area in ten) and their votes."""
    versions = 2 if i % 10 == 0 else 1
    rows, votes = [], []
    for version in range(1, versions + 1):
        voted = 900 + (i * 37 + version) % 900
        invalid = i % 13
        valid = voted - invalid
        latest = version == versions
        status = ReportStatus.RECEIVED if latest and i % 10 == 3 else ReportStatus.CONFIRMED
        if not latest:
            status = ReportStatus.RECEIVED
        rows.append({
            "polling_area_id": area_id, "contest_id": contest_id, "unit_id": unit.id, "version": version,
            "is_latest": latest, "status": status, "voters_on_list": voted + 300, "voters_voted": voted,
            "ballots_issued": voted, "ballots_received": voted, "valid": valid, "invalid": invalid,
            "signers": [], "witness_1": "Nguyễn Văn Chứng", "witness_2": "Lê Thị Kiến",
            "explanations": {}, "findings": [], "client_uuid": uuid.uuid4(), "receipt": receipts.next(),
            "channel": Channel.WEB, "submitted_by_id": user_id, "submitted_at": SENT,
        })
        votes.append([valid * (60 - 7 * k) // 100 for k in range(len(unit.candidates))])
    return rows, votes


def _insert_reports(session: Session, plans: list[tuple[int, ElectoralUnit, int, int]], receipts: Receipts,
                    user_id: int) -> int:
    """plans: (area id, unit, contest id, index). Inserts in chunks; returns the number of minutes."""
    written = 0
    for start in range(0, len(plans), 2000):
        chunk = plans[start:start + 2000]
        rows, votes, units = [], [], []
        for area_id, unit, contest_id, i in chunk:
            r, v = _report_rows(area_id, unit, contest_id, i, receipts, user_id)
            rows += r
            votes += v
            units += [unit] * len(r)
        ids = session.scalars(sa.insert(CountReport).returning(CountReport.id, sort_by_parameter_order=True),
                              rows).all()
        session.execute(sa.insert(CountVote), [
            {"report_id": rid, "candidate_id": c.id, "votes": n}
            for rid, unit, vv in zip(ids, units, votes, strict=True)
            for c, n in zip(sorted(unit.candidates, key=lambda c: c.ballot_order), vv, strict=True)
        ])
        written += len(rows)
    return written


def build(url: str, areas: int) -> dict[str, Any]:
    migrate.upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    with Session(engine) as session:
        audit.bind(session, audit.AuditContext(None, "bench", Channel.CLI))
        demo.load_demo(session, NOW)
        province = session.scalars(sa.select(Province).where(Province.code == "79")).one()
        contests = {c.kind: c for c in session.scalars(sa.select(Contest))}
        na = _units(session, province, contests[ContestKind.NATIONAL_ASSEMBLY], 13, 3, 5, "QH-79-B")
        prov = _units(session, province, contests[ContestKind.PROVINCIAL_COUNCIL], 40, 4, 7, "T-79-B")
        communes = session.scalars(
            sa.select(Commune).where(Commune.province_id == province.id, Commune.code.not_in(
                [c for c, _, _ in demo.COMMUNES])).order_by(Commune.code).limit(60)).all()
        area_rows = [{"code": f"B{n:05d}", "commune_id": communes[n % len(communes)].id, "province_id": province.id,
                      "number": 1000 + n, "name": f"Khu vực bỏ phiếu số {1000 + n}", "name_folded": f"kvbp {n}",
                      "address": ""} for n in range(areas)]
        area_ids = session.scalars(sa.insert(PollingArea).returning(PollingArea.id, sort_by_parameter_order=True),
                                   area_rows).all()
        links, plans = [], []
        for i, area_id in enumerate(area_ids):
            for units, kind in ((na, ContestKind.NATIONAL_ASSEMBLY), (prov, ContestKind.PROVINCIAL_COUNCIL)):
                unit = units[i % len(units)]
                links.append({"polling_area_id": area_id, "contest_id": contests[kind].id, "unit_id": unit.id})
                plans.append((area_id, unit, contests[kind].id, i))
        session.execute(sa.insert(PollingAreaUnit), links)
        leader = session.scalars(sa.select(User).where(User.role == Role.LEADER)).first()
        receipts = Receipts()
        written = _insert_reports(session, plans, receipts, leader.id)

        # Bến Thành: 48 more stations like its 12 (same units), then minutes for all 60 in three contests.
        ben_thanh = session.scalars(sa.select(Commune).where(Commune.code == "26743")).one()
        model = session.scalars(sa.select(PollingArea).where(PollingArea.code == "26743-01")).one()
        model_links = list(model.unit_links)
        for number in range(13, 61):
            area = PollingArea(code=f"26743-{number:02d}", commune=ben_thanh, province=province, number=number,
                               name=f"Khu vực bỏ phiếu số {number}", name_folded=f"khu vuc bo phieu so {number}",
                               address=f"Trường số {number}, Phường Bến Thành")
            session.add(area)
            for link in model_links:
                session.add(PollingAreaUnit(polling_area=area, contest_id=link.contest_id, unit_id=link.unit_id))
            for position, role in enumerate((TeamRole.LEADER, TeamRole.DEPUTY, TeamRole.SECRETARY)):
                session.add(TeamMember(polling_area=area, full_name=f"Thành viên {number}-{position}", role=role,
                                       position=position))
        session.flush()
        bt_areas = session.scalars(sa.select(PollingArea).where(PollingArea.commune_id == ben_thanh.id)
                                   .order_by(PollingArea.number)).all()
        bt_plans = [(a.id, link.unit, link.contest_id, a.number) for a in bt_areas for link in a.unit_links]
        team = {a.id: [{"id": m.id, "name": m.full_name, "role": m.role.value} for m in a.team[:3]]
                for a in bt_areas}
        written += _insert_reports(session, bt_plans, receipts, leader.id)
        for area_id, signers in team.items():
            session.execute(sa.update(CountReport).where(CountReport.polling_area_id == area_id)
                            .values(signers=signers))
        session.commit()
    build_s = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if url.startswith("postgresql") else "ANALYZE")
    engine.dispose()
    return {"areas": areas, "minutes written": written, "build": f"{build_s:.1f} s"}


def timed(call: Callable[[], Any], runs: int = 5) -> tuple[float, Any]:
    result = call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def measure(url: str) -> list[tuple[str, str]]:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40})
    rows: list[tuple[str, str]] = []
    with app.test_request_context(), Session(app.extensions["db"].engine) as session:
        tinh = session.scalars(sa.select(User).where(User.username == "tinh")).one()
        province = session.scalars(sa.select(Province).where(Province.code == "79")).one()
        stations = session.scalar(sa.select(sa.func.count()).select_from(PollingArea)
                                  .where(PollingArea.province_id == province.id))
        latest = session.scalar(sa.select(sa.func.count()).select_from(CountReport).where(CountReport.is_latest))
        rows.append(("stations in the province / latest minutes (all)", f"{stations:,} / {latest:,}"))
        seconds, results = timed(lambda: services.committee_results(session, tinh, province_id=province.id))
        units = sum(len(c.units) for c in results.contests)
        rows.append((f"committee_results, province ({units} units)", f"{seconds * 1000:.0f} ms"))
        na = results.contests[0].units[0].unit
        seconds, _ = timed(lambda: services.unit_result(session, tinh, na.id, confirmed_only=False))
        rows.append(("unit_result, one NA unit", f"{seconds * 1000:.0f} ms"))
        unit_ids = sa.select(ElectoralUnit.id).where(ElectoralUnit.province_id == province.id)
        if url.startswith("postgresql"):
            for label, stmt in (("report_sums", queries.report_sums_stmt(unit_ids)),
                                ("vote_sums", queries.vote_sums_stmt(unit_ids))):
                sql = str(stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
                plan = session.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + sql)).scalars().all()
                rows.append((f"EXPLAIN ANALYZE {label}", "\n    " + "\n    ".join(plan)))

        static = app.static_folder or "static"
        rows += _forms(session, tinh, province, static)
        ben_thanh = session.scalars(sa.select(Commune).where(Commune.code == "26743")).one()
        reports = minutes.commune_count_reports(session, tinh, ben_thanh)
        one = reports[0]
        cpu = time.process_time()
        seconds, _ = timed(lambda: write_pdf([render_form("forms/count.pdf.html", pdf=True,
                                                          forms=[minutes.count_form(one)])], static))
        cpu = (time.process_time() - cpu) / 6
        rows.append(("one count minutes: HTML + PDF", f"{seconds * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU"))
        # Mẫu 32 (the inventory of ballots used) of the same station, beside its count minutes above: one page.
        station = minutes.area_count_reports(session, tinh, one.polling_area_id)
        cpu = time.process_time()
        seconds, _ = timed(lambda: write_pdf([render_form("forms/inventory.pdf.html", pdf=True,
                                                          forms=[minutes.inventory_form(station)])], static))
        cpu = (time.process_time() - cpu) / 6
        rows.append(("one Mẫu 32 (inventory, 3 contests): HTML + PDF",
                     f"{seconds * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU"))
        for label, batch in (("Bến Thành demo: 12 stations × 3 contests", [r for r in reports
                                                                          if r.polling_area.number <= 12]),
                             ("60-station commune × 3 contests", reports)):
            started, cpu = time.perf_counter(), time.process_time()
            html = [render_form("forms/count.pdf.html", pdf=True, forms=[minutes.count_form(r)]) for r in batch]
            html_s = time.perf_counter() - started
            target = Path("/tmp") / f"results-bench-{len(batch)}.pdf"
            write_pdf(html, static, str(target))
            total, cpu = time.perf_counter() - started, time.process_time() - cpu
            info = subprocess.run(["pdfinfo", str(target)], check=True, capture_output=True, text=True).stdout
            pages = next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")
            size = target.stat().st_size / 2**20
            note = (f"{total:.1f} s wall, {cpu:.1f} s CPU (HTML {html_s:.2f} s in the request, the PDF in the "
                    f"background thread), {size:.1f} MiB, {pages} pages")
            rows.append((f"batch, {label}: {len(batch)} forms", note))
    app.extensions["db"].engine.dispose()
    return rows


def _forms(session: Session, user: User, province: Province, static: str) -> list[tuple[str, str]]:
    """Each official form of the province: its HTML (the printable page) and its PDF, side by side, as the
    request makes them (median of 3 after one warm-up)."""
    from webapp.elections import services as elections
    from webapp.results import documents
    from webapp.results import statistics as stats

    now = datetime.now(UTC)
    official = services.committee_results(session, user, province_id=province.id, confirmed_only=True)
    forms: list[tuple[str, str, dict[str, Any]]] = []
    for contest in official.contests:
        number = documents.committee_form(official, contest, now).form_number
        forms.append((f"committee minutes {number} ({contest.contest.kind.value}, {len(contest.units)} units)",
                      "forms/committee.pdf.html", {"c": documents.committee_form(official, contest, now)}))
    unit = official.contests[0].units[0].unit
    outcome = services.unit_result(session, user, unit.id)
    breakdown = services.unit_breakdown(session, user, unit)
    forms.append((f"Ban minutes 19/HĐBC-QH ({len(breakdown)} communes)", "forms/unit.pdf.html",
                  {"u": documents.unit_form(outcome, breakdown, now)}))
    day = elections.current_election(session).polling_date
    for kind in (stats.PRELIMINARY, stats.FINAL):
        results = official if kind == stats.FINAL else services.committee_results(session, user,
                                                                                  province_id=province.id)
        table = stats.statistics(session, results, kind, day)
        forms.append((f"statistics {stats.FORM_NUMBERS[kind]}", "forms/statistics.pdf.html",
                      {"s": documents.statistics_form(results, table, final=kind == stats.FINAL,
                                                      form_number=stats.FORM_NUMBERS[kind], now=now)}))
    rows = []
    for label, template, context in forms:
        html_s, html = timed(lambda t=template, c=context: render_form(t, pdf=True, **c), runs=3)
        pdf_s, _ = timed(lambda h=html: write_pdf([h], static), runs=3)
        rows.append((f"form: {label}", f"HTML {html_s * 1000:.0f} ms | PDF {pdf_s * 1000:.0f} ms"))
    return rows


def requests_side_by_side(url: str) -> list[tuple[str, str]]:
    """Each official form's PDF request, before and after the PDFs moved to the background (issue 17 §3), in one
    run. Before (the request made the PDF): the printable page's request (the form's data and HTML) plus
    WeasyPrint on the form's PDF HTML, the work the old ``.pdf`` request did in itself. After: the POST that renders
    the HTML and queues the job (303), the job itself (what the consumer does, run here from the queue), and the
    GET that gives the finished file (audited). Medians of 3 through the Flask test client, as ``tinh``."""
    from webapp.jobs import queue

    work = Path(tempfile.mkdtemp(prefix="results-bench-"))
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "WTF_CSRF_ENABLED": False,
                      "JOBS_QUEUE_URL": f"sqlite:///{work / 'queue.sqlite3'}",
                      "RESULTS_EXPORT_DIR": str(work)})
    client = app.test_client()
    assert client.post("/login", data={"username": "tinh", "password": demo.DEMO_PASSWORD}).status_code == 303
    with Session(app.extensions["db"].engine) as session:
        province = session.scalars(sa.select(Province).where(Province.code == "79")).one()
        na_unit = session.scalars(sa.select(ElectoralUnit.id).where(ElectoralUnit.code == "QH-79-B-01")).one()
    p = f"/results/provinces/{province.id}"
    forms = [("committee minutes 20/HĐBC-QH", f"{p}/record", "?contest=na"),
             ("committee summary 25/HĐBC-HĐND", f"{p}/record", "?contest=provincial"),
             ("Ban minutes 19/HĐBC-QH", f"/results/units/{na_unit}/minutes", ""),
             ("statistics 28/HĐBC", f"{p}/statistics", "?kind=preliminary"),
             ("statistics 30/HĐBC", f"{p}/statistics", "?kind=official"),
             ("report 27/HĐBC", f"{p}/report", "?kind=preliminary"),
             ("report 29/HĐBC", f"{p}/report", "?kind=official")]
    static = app.static_folder or "static"
    rows = []

    def median_ms(samples: list[float]) -> str:
        return f"{statistics.median(samples) * 1000:.0f} ms"

    for label, path, query in forms:
        page, pdf_html, posts, jobs, gets = [], [], [], [], []
        for _ in range(3):
            for old in work.glob("*.pdf*"):
                old.unlink()
            started = time.perf_counter()
            assert client.get(path + query).status_code == 200
            page.append(time.perf_counter() - started)
            started = time.perf_counter()
            response = client.post(f"{path}.pdf{query}")
            posts.append(time.perf_counter() - started)
            assert response.status_code == 303, response.status_code
            task = queue.huey.dequeue()
            batch, documents, _static = task.args
            started = time.perf_counter()
            queue.huey.execute(task)
            jobs.append(time.perf_counter() - started)
            assert batch.state == "ready"
            started = time.perf_counter()
            write_pdf(documents, static)
            pdf_html.append(time.perf_counter() - started)
            started = time.perf_counter()
            with client.get(f"{path}.pdf{query}") as response:
                assert response.mimetype == "application/pdf"
            gets.append(time.perf_counter() - started)
        before = [a + b for a, b in zip(page, pdf_html, strict=True)]
        rows.append((f"request: {label}", f"before {median_ms(before)} | after: POST {median_ms(posts)}, "
                                          f"GET the file {median_ms(gets)} | the printable page "
                                          f"{median_ms(page)} | the job {median_ms(jobs)} (consumer)"))
    app.extensions["db"].engine.dispose()
    return rows


def main() -> None:
    global SQLITE_PATH
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--areas", type=int, default=5000)
    parser.add_argument("--reuse", action="store_true", help="measure the existing database again")
    parser.add_argument("--sqlite-path", default=SQLITE_PATH, help=f"the SQLite file (default {SQLITE_PATH})")
    parser.add_argument("--requests-only", action="store_true",
                        help="only the forms' PDF requests, before and after the background making, side by side")
    args = parser.parse_args()
    SQLITE_PATH = args.sqlite_path
    if args.reuse:
        url, rows = (f"sqlite:///{SQLITE_PATH}" if args.db == "sqlite" else
                     PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_NAME), []
    else:
        url = recreate(args.db)
        rows = [(k, str(v)) for k, v in build(url, args.areas).items()]
    rows.append(("machine load (1-minute average, 2 cores)", f"{os.getloadavg()[0]:.1f}"))
    if not args.requests_only:
        rows += measure(url)
    rows += requests_side_by_side(url)
    rows.append(("machine load at the end", f"{os.getloadavg()[0]:.1f}"))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
