"""Printing an official form is audited: who, which form (its number), which data version (issue 17 §3)."""

from __future__ import annotations

import sqlalchemy as sa

from tests.results.helpers import NA, put_report, unit_areas
from webapp.audit.models import AuditEntry


def _prints(db_session):
    return db_session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "print")
                              .order_by(AuditEntry.id)).all()


def test_each_print_names_the_form_and_the_data_it_printed(db_session, w, as_user):
    unit = w.unit("QH-79-01")
    areas = unit_areas(db_session, unit)
    for area in areas:
        put_report(db_session, w, area, NA, voted=800, votes={1: 700, 2: 600, 3: 500})
    client = as_user("tinh")
    assert client.get(f"/results/units/{unit.id}/minutes").status_code == 200
    assert client.get(f"/results/units/{unit.id}/minutes").status_code == 200
    put_report(db_session, w, areas[0], NA, voted=801, votes={1: 700, 2: 600, 3: 500})
    db_session.flush()
    assert client.get(f"/results/units/{unit.id}/minutes").status_code == 200
    first, same, changed = _prints(db_session)
    assert first.actor_username == "tinh" and first.entity_id == "19/HĐBC-QH"
    assert first.province_id == unit.province_id
    assert first.after["data_version"] == same.after["data_version"] != changed.after["data_version"]
    assert first.after["pdf"] is False

    assert client.get(f"/results/stations/{areas[0].id}/minutes?contest=na").status_code == 200
    station = _prints(db_session)[-1]
    assert station.entity_id == "18/HĐBC-QH" and station.polling_area_id == areas[0].id
    assert station.after["data_version"].startswith("report ")

    assert client.get(f"/results/provinces/{unit.province_id}/record?contest=provincial").status_code == 200
    assert _prints(db_session)[-1].entity_id == "25/HĐBC-HĐND"
