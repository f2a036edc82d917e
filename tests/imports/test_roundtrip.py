"""Export then re-import changes nothing; the import event sums each import up."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from tests.imports.helpers import audit_rows, counts, export, headers, read_xlsx, run, xlsx
from webapp.audit.models import AuditEntry, Channel
from webapp.elections.models import VoterCount
from webapp.imports.datasets import DATASETS


@pytest.mark.parametrize("dataset", list(DATASETS))
@pytest.mark.parametrize("username", ["quantri", "tinh", "xa", "hn_xa"])
def test_export_then_reimport_changes_nothing(db_session, w, username: str, dataset: str) -> None:
    data = export(db_session, w, username, dataset)
    rows = read_xlsx(data)
    assert rows[0] == headers(dataset)
    before = (db_session.scalar(sa.select(sa.func.count()).select_from(VoterCount)),
              audit_rows(db_session, AuditEntry.action.in_(["create", "update", "delete"])))
    if len(rows) == 1:
        return  # nothing of this kind in the user's area
    result = run(db_session, w, username, dataset, data, "export.xlsx")
    assert counts(result) == (0, 0, len(rows) - 1)
    after = (db_session.scalar(sa.select(sa.func.count()).select_from(VoterCount)),
             audit_rows(db_session, AuditEntry.action.in_(["create", "update", "delete"])))
    assert after == before


def test_exports_stay_inside_the_users_area(db_session, w) -> None:
    assert {r[1] for r in read_xlsx(export(db_session, w, "hn_xa", "polling_areas"))[1:]} == {"00070"}
    assert {r[4] for r in read_xlsx(export(db_session, w, "tinh", "units"))[1:]} == {"79"}
    assert {r[1] for r in read_xlsx(export(db_session, w, "xa", "units"))[1:]} == {"X-26743-01", "X-26743-02",
                                                                                    "X-26743-03"}
    accounts = read_xlsx(export(db_session, w, "xa", "accounts"))[1:]
    assert [r[0] for r in accounts] == ["to01"]


def test_text_that_looks_like_a_formula_is_exported_as_text(db_session, w) -> None:
    area = w.area("26743-01")
    area.address = "=HYPERLINK(\"http://evil\")"
    db_session.flush()
    data = export(db_session, w, "xa", "polling_areas")
    assert b"<f>" not in data  # no formula element anywhere in the workbook
    assert read_xlsx(data)[1][4] == "=HYPERLINK(\"http://evil\")"


def test_control_characters_in_the_database_do_not_break_an_export(db_session, w) -> None:
    w.area("26743-01").name = "Khu vực\x07 số 1"
    db_session.flush()
    assert read_xlsx(export(db_session, w, "xa", "polling_areas"))[1][3] == "Khu vực số 1"


def test_the_import_event(db_session, w) -> None:
    data = xlsx([headers("units"), ["HĐND xã", "X-26743-09", 9, "Đơn vị bầu cử số 9", "79", "26743", 3]])
    result = run(db_session, w, "xa", "units", data, "đơn vị.xlsx")
    entry = db_session.get(AuditEntry, result.entry_id)
    assert (entry.action, entry.entity_type, entry.entity_id, entry.channel) == (
        "import", "imports", "units", Channel.IMPORT)
    assert (entry.province_id, entry.commune_id) == (w.province("79").id, w.commune("26743").id)
    assert entry.after == {"dataset": "units", "file": "đơn vị.xlsx", "sha256": hashlib.sha256(data).hexdigest(),
                           "rows": 1, "normalised_cells": 0, "created": 1, "updated": 0, "unchanged": 0,
                           "voter_counts_added": 0}
