"""The hotline's search by a person's name (issue 16 §5): what the `LIKE '%…%'` over the team members' folded
names costs on SQLite, beside the search over the polling areas' names it comes with (the baseline), in one run.

    .venv/bin/python benchmarks/name_search.py

Synthetic names in an in-memory SQLite database at the national scale (72,195 polling areas, 7 members each:
505,365 names) with the indexes the app has; the national hotline reads every name, a province's hotline only
the members of its areas (4,000 here), as ``webapp.hotline.services.search_stations`` does.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import time

AREAS, TEAM, PROVINCE = 72_195, 7, 4_000
FAMILY = "nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly".split()
MIDDLE = "van thi duc minh thanh ngoc huu quoc kim xuan".split()
GIVEN = "an binh chi dung giang hoa hung khoa lan long mai nam phuong quang son tam trang tuan vinh yen".split()


def median_ms(db: sqlite3.Connection, sql: str, *params: object) -> tuple[float, int]:
    runs, found = [], 0
    for _ in range(5):
        start = time.perf_counter()
        found = len(db.execute(sql, params).fetchall())
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000, found


def main() -> None:
    rng = random.Random(7)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE polling_areas (id INTEGER PRIMARY KEY, province_id INT, name_folded TEXT)")
    db.execute("CREATE INDEX ix_areas_province ON polling_areas (province_id)")
    db.execute("CREATE TABLE team_members (id INTEGER PRIMARY KEY, polling_area_id INT, name_folded TEXT)")
    db.execute("CREATE INDEX ix_members_area ON team_members (polling_area_id)")
    db.executemany("INSERT INTO polling_areas VALUES (?, ?, ?)",
                   ((i, 1 if i < PROVINCE else 2, f"khu vuc bo phieu so {i % 40 + 1}") for i in range(AREAS)))
    db.executemany("INSERT INTO team_members VALUES (?, ?, ?)",
                   ((i, i // TEAM, f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}")
                    for i in range(AREAS * TEAM)))
    places = "SELECT id FROM polling_areas WHERE {where} name_folded LIKE ? ESCAPE '\\' LIMIT 50"
    people = ("SELECT DISTINCT polling_area_id FROM team_members WHERE {where} name_folded LIKE ? ESCAPE '\\'")
    mine = "polling_area_id IN (SELECT id FROM polling_areas WHERE province_id = 1) AND"
    for query in ("nguyen van an", "khong co ai"):
        for label, where_places, where_people in (("national", "", ""),
                                                  ("province", "province_id = 1 AND", mine)):
            base, n_base = median_ms(db, places.format(where=where_places), f"%{query}%")
            names, n_names = median_ms(db, people.format(where=where_people), f"%{query}%")
            print(f"{label:8} {query!r:16} areas' names (baseline) {base:6.1f} ms ({n_base})   "
                  f"members' names {names:6.1f} ms ({n_names})")


if __name__ == "__main__":
    main()
