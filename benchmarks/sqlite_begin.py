"""What BEGIN IMMEDIATE would cost readers on SQLite with WAL: readers' transactions per second and latency when
they begin DEFERRED (what GET requests do) or IMMEDIATE (what writes do), alone and beside a writer that holds
its write transaction like a request does (an import, a progress refresh).

    .venv/bin/python benchmarks/sqlite_begin.py [--seconds 5] [--readers 4] [--hold-ms 50]

Each reader runs, in one transaction, the kind of read a page makes (an indexed range of 2,000 rows summed);
the writer inserts 500 rows and keeps its transaction open ``--hold-ms`` before committing, in a loop.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def prepare(path: Path) -> None:
    conn = connect(path)
    conn.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, area INTEGER, votes INTEGER)")
    conn.execute("CREATE INDEX ix_area ON rows (area)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO rows (area, votes) VALUES (?, ?)", ((i % 500, i % 97) for i in range(200_000)))
    conn.execute("COMMIT")
    conn.close()


def run(path: Path, mode: str, readers: int, seconds: float, writer: bool, hold_ms: float) -> dict[str, float]:
    stop = threading.Event()
    latencies: list[list[float]] = [[] for _ in range(readers)]
    writes = [0]

    def read(slot: int) -> None:
        conn = connect(path)
        k = slot
        while not stop.is_set():
            started = time.perf_counter()
            conn.execute(f"BEGIN {mode}")
            conn.execute("SELECT sum(votes) FROM rows WHERE area BETWEEN ? AND ?", (k % 490, k % 490 + 5)).fetchone()
            conn.execute("COMMIT")
            latencies[slot].append(time.perf_counter() - started)
            k += 7
        conn.close()

    def write() -> None:
        conn = connect(path)
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO rows (area, votes) VALUES (?, ?)", ((i % 500, 1) for i in range(500)))
            time.sleep(hold_ms / 1000)
            conn.execute("COMMIT")
            writes[0] += 1
        conn.close()

    threads = [threading.Thread(target=read, args=(i,)) for i in range(readers)]
    if writer:
        threads.append(threading.Thread(target=write))
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    flat = sorted(x for slot in latencies for x in slot)
    return {"tx_per_s": len(flat) / seconds, "p50_ms": statistics.median(flat) * 1000,
            "p99_ms": flat[int(len(flat) * 0.99) - 1] * 1000, "max_ms": flat[-1] * 1000,
            "writes_per_s": writes[0] / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--hold-ms", type=float, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.sqlite3"
        prepare(path)
        print(f"{args.readers} readers, {args.seconds:g} s each; writer holds its transaction {args.hold_ms:g} ms")
        print(f"{'readers begin':<14} {'writer':<7} {'reads/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>8} "
              f"{'writes/s':>8}")
        for writer in (False, True):
            for mode in ("DEFERRED", "IMMEDIATE"):
                r = run(path, mode, args.readers, args.seconds, writer, args.hold_ms)
                print(f"{mode:<14} {'yes' if writer else 'no':<7} {r['tx_per_s']:>8.0f} {r['p50_ms']:>7.2f} "
                      f"{r['p99_ms']:>7.2f} {r['max_ms']:>8.1f} {r['writes_per_s']:>8.1f}")


if __name__ == "__main__":
    main()
