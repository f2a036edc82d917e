"""The dashboards at the national peak (issue 14 §2): what opening a progress page and each poll cost, in process,
with the tree this is run from (so that main's tree, run with the same script, is the "before" of the same run).

    .venv/bin/python benchmarks/dashboards.py --db postgresql+psycopg://postgres@127.0.0.1:5432/baucu_dash --prepare
    .venv/bin/python benchmarks/dashboards.py --db …/baucu_dash --json /tmp/after.json
    (cd /work/wt/base && .venv/bin/python /work/wt/poll-place/benchmarks/dashboards.py --db …/baucu_dash --json /tmp/before.json)

``--prepare`` (once, on a writable copy of a national dataset, e.g. ``CREATE DATABASE baucu_dash TEMPLATE
baucu_peak_national``, migrated to head): bulk-loads a full day of turnout reports (``progress_views.load_day``) and
rebuilds the summaries. Then, as a national administrator, with the clock at 19:30 on polling day and the fragment
cache off (every answer renders): the page of the commune with the most stations, of the province with the most,
and of the nation, each opened ``-n`` times (CPU of this process per request: Flask, SQLAlchemy, the templates; the
database's own CPU is not in it); and the peak's poll: another commune of the same province is queued and
refreshed (what a report there does), then each page's fragment polls with the version it was served with — the
status it gets and its CPU. The bare endpoint (a trivial page: ``/healthz``) is measured in the same run for ratios.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path.cwd()  # the tree measured: run from main's tree for the "before"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import sqlalchemy as sa  # noqa: E402

import progress_views as pv  # noqa: E402

HX = {"HX-Request": "true"}


def cpu_ms(client, url: str, n: int, headers: dict[str, str] | None = None) -> tuple[float, int]:
    """Median CPU ms of ``n`` requests (after two warm-ups) and the last status."""
    for _ in range(2):
        client.get(url, headers=headers or {}).get_data()
    samples, status = [], 0
    for _ in range(n):
        cpu = time.process_time()
        response = client.get(url, headers=headers or {})
        response.get_data()
        samples.append((time.process_time() - cpu) * 1000)
        status = response.status_code
    return statistics.median(samples), status


def poll_url(response) -> str:
    return re.search(r'hx-get="([^"]+)"', response.get_data(as_text=True)).group(1).replace("&amp;", "&")


def touch(app, commune_id: int, province_id: int) -> None:
    """Queue one commune and refresh, as a report there and the refresher do."""
    from webapp import db
    from webapp.clock import VN_TZ
    from webapp.progress import refresh
    from webapp.progress.models import Dirty

    with app.app_context():
        session = db.get_db().sessionmaker()
        session.add(Dirty(province_id=province_id, commune_id=commune_id))
        session.flush()
        refresh.refresh(session, now=datetime.fromisoformat(pv.CLOCK).replace(tzinfo=VN_TZ))
        session.commit()
        session.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--profile", choices=("commune", "province", "nation"), help="print cProfile of a page")
    parser.add_argument("--sort", default="cumulative", help="cProfile order (cumulative, tottime)")
    parser.add_argument("--json")
    args = parser.parse_args()
    pv.FRAGMENT_CACHE[0] = 0
    app = pv.make_app(args.db)
    engine = sa.create_engine(args.db)
    if args.prepare:
        pv.load_day(engine)
        print(f"rebuilt in {pv.rebuild(app):.1f} s")
        return 0
    _admin, secret, province, commune, sizes = pv.targets(engine)
    with engine.connect() as conn:
        other = conn.scalar(sa.text("SELECT commune_id FROM polling_areas WHERE province_id = :p AND commune_id <> :c "
                                    "LIMIT 1"), {"p": province, "c": commune})
    client = pv.client_for(app, secret)
    pages = {"commune": f"/progress/communes/{commune}", "province": f"/progress/provinces/{province}",
             "nation": "/progress/"}
    load = Path("/proc/loadavg").read_text().split()[:3]
    out: dict[str, object] = {"tree": str(ROOT), "load_before": load, "sizes": sizes}
    out["bare"] = cpu_ms(client, "/healthz", args.n * 5)[0]
    if args.profile:
        for _ in range(3):  # templates compiled, caches warm
            client.get(pages[args.profile]).get_data()
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.n):
            client.get(pages[args.profile]).get_data()
        profile.disable()
        stream = io.StringIO()
        pstats.Stats(profile, stream=stream).sort_stats(args.sort).print_stats(os.environ.get("PSTATS_FILTER", ""), 45)
        print(stream.getvalue())
        return 0
    for name, url in pages.items():
        out[f"open {name}"] = cpu_ms(client, url, args.n)[0]
    app.config["PROGRESS_FRAGMENT_CACHE"] = 4096  # the opens again, each fragment kept after its first render
    for name, url in pages.items():
        out[f"open {name}, fragment kept"] = cpu_ms(client, url, args.n)[0]
    app.config["PROGRESS_FRAGMENT_CACHE"] = 0
    polls = {name: poll_url(client.get(url)) for name, url in pages.items()}
    for name, url in polls.items():
        out[f"poll {name}, nothing new"] = cpu_ms(client, url, args.n, HX)
    touch(app, other, province)
    for name, url in polls.items():
        cpu = time.process_time()
        status = client.get(url, headers=HX).status_code
        out[f"poll {name}, another commune changed"] = ((time.process_time() - cpu) * 1000, status)
    out["load_after"] = Path("/proc/loadavg").read_text().split()[:3]
    for key, value in out.items():
        print(f"{key:45} {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("FLASK_DEBUG", "0")
    sys.exit(main())
