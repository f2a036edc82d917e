"""Browsing the audit log: scope, filters, keyset pages without OFFSET or COUNT, before/after as a diff."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from tests.conftest import login
from webapp.accounts.models import User
from webapp.audit import browse
from webapp.audit import services as audit
from webapp.audit.models import AuditEntry, Channel


def _events(
    db_session,
    w,
    n,
    *,
    action="test_event",
    commune="26743",
    area=None,
    at=None,
    channel=Channel.CLI,
    actor="tests",
):
    c = w.commune(commune)
    area_id = w.area(area).id if area else None
    clock = (lambda: at) if at else audit.context_of(db_session).clock
    audit.bind(db_session, audit.AuditContext(None, actor, channel, clock=clock))
    for i in range(n):
        audit.record_event(
            db_session,
            action=action,
            entity_type="communes",
            entity_id=str(c.id),
            place=(c.province_id, c.id, area_id),
            after={"i": i},
        )
    db_session.flush()
    audit.bind(db_session, audit.AuditContext(None, "tests", Channel.CLI))


def _entry_ids(response) -> list[int]:
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return [int(a.get_text().lstrip("#")) for a in soup.select("#audit-list .audit-id")]


def test_hn_tinh_sees_no_hcmc_entries(app, as_user, db_session, w):
    _events(db_session, w, 3, commune="26743")
    _events(db_session, w, 2, commune="00070")
    hcmc = {
        e.id
        for e in db_session.scalars(
            sa.select(AuditEntry).where(AuditEntry.province_id == w.province("79").id)
        )
    }
    client = as_user("hn_tinh")
    shown = _entry_ids(client.get("/audit/"))
    assert shown and not hcmc & set(shown)
    rows = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.id.in_(shown))).all()
    assert {r.province_id for r in rows} == {w.province("01").id}
    page = browse.browse(db_session, user=w.user("hn_tinh"), filters=browse.AuditFilter(), limit=1000)
    assert {e.province_id for e in page.entries} == {w.province("01").id}


def test_a_commune_official_sees_only_its_commune(db_session, w):
    _events(db_session, w, 2, commune="26743")
    _events(db_session, w, 2, commune="26740")
    page = browse.browse(db_session, user=w.user("xa"), filters=browse.AuditFilter(), limit=1000)
    assert page.entries and {e.commune_id for e in page.entries} == {w.commune("26743").id}


def test_the_admin_sees_everything(db_session, w):
    _events(db_session, w, 1, commune="26743")
    _events(db_session, w, 1, commune="00070")
    page = browse.browse(db_session, user=w.user("quantri"), filters=browse.AuditFilter(action="test_event"))
    assert len(page.entries) == 2


def test_out_of_scope_entry_answers_404(as_user, db_session, w):
    _events(db_session, w, 1, commune="00070")
    entry = db_session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    client = as_user("xa")
    assert client.get(f"/audit/{entry.id}").status_code == 404
    assert client.get("/audit/999999999").status_code == 404


def test_keyset_pages_cover_everything_once_newest_first(db_session, w):
    _events(db_session, w, 120)
    user, filters = w.user("xa"), browse.AuditFilter(action="test_event")
    pages = [browse.browse(db_session, user=user, filters=filters)]
    while pages[-1].older:
        pages.append(browse.browse(db_session, user=user, filters=filters, before=pages[-1].older))
    assert [len(p.entries) for p in pages] == [50, 50, 20]
    ids = [e.id for p in pages for e in p.entries]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 120
    assert pages[0].newer is None and pages[1].newer == ids[50] and pages[2].older is None
    back = browse.browse(db_session, user=user, filters=filters, after=pages[2].newer)
    assert [e.id for e in back.entries] == [e.id for e in pages[1].entries]
    assert back.newer == pages[1].newer and back.older == pages[1].older


def test_the_page_uses_neither_offset_nor_count(app, as_user, db_session, w):
    _events(db_session, w, 60)
    client = as_user("xa")
    statements: list[str] = []

    def capture(_conn, _cursor, statement, parameters, *_args):  # type: ignore[no-untyped-def]
        statement = statement.lower()
        if " offset " in statement:  # SQLite always writes "LIMIT ? OFFSET ?"; the offset must then be 0
            assert list(parameters)[-1] == 0
        statements.append(statement)

    engine = app.extensions["db"].engine
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        first = client.get("/audit/?action=test_event")
        soup = BeautifulSoup(first.get_data(as_text=True), "html.parser")
        older = next(a["href"] for a in soup.select(".keyset-pager a") if "before=" in a["href"])
        second = client.get(older)
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    assert len(_entry_ids(first)) == 50 and len(_entry_ids(second)) == 10
    assert not set(_entry_ids(first)) & set(_entry_ids(second))
    assert "action=test_event" in older
    audit_sql = [s for s in statements if "audit_entries" in s and s.lstrip().startswith("select")]
    assert audit_sql and not [s for s in audit_sql if "count(" in s]


def test_filters(db_session, w):
    local_noon = datetime(2026, 3, 15, 5, 0, tzinfo=UTC)  # 12:00 in Ho Chi Minh City
    _events(db_session, w, 2, action="f_event", at=local_noon, channel=Channel.WEB, actor="xa")
    _events(db_session, w, 3, action="f_event", at=local_noon - timedelta(hours=6), area="26743-02")  # 06:00
    _events(
        db_session, w, 1, action="f_event", at=datetime(2026, 3, 14, 16, 59, tzinfo=UTC)
    )  # 23:59 on the 14th
    user = w.user("tinh")

    def count(**kw):
        return len(
            browse.browse(
                db_session, user=user, filters=browse.AuditFilter(action="f_event", **kw), limit=100
            ).entries
        )

    assert count() == 6
    assert count(actor="XA") == 2
    assert count(channel=Channel.WEB) == 2 and count(channel=Channel.API) == 0
    assert count(date_from=date(2026, 3, 15)) == 5
    assert count(date_to=date(2026, 3, 14)) == 1
    assert count(date_from=date(2026, 3, 15), date_to=date(2026, 3, 15)) == 5
    assert count(area_code="26743-02") == 3
    assert count(entity_type="communes") == 6 and count(entity_type="users") == 0
    outside = browse.browse(db_session, user=user, filters=browse.AuditFilter(area_code="00070-01"))
    assert outside.unknown_area and outside.entries == []


def test_filter_form_in_the_page(as_user, db_session, w):
    _events(db_session, w, 2, action="f_event", area="26743-03")
    client = as_user("xa")
    response = client.get("/audit/?action=f_event&area=26743-03")
    assert response.status_code == 200 and len(_entry_ids(response)) == 2
    assert "26743-03" in response.get_data(as_text=True)
    response = client.get("/audit/?date_from=15/03/2026")
    assert response.status_code == 422 and "năm-tháng-ngày" in response.get_data(as_text=True)
    assert "Không có khu vực bỏ phiếu" in client.get("/audit/?area=00070-01").get_data(as_text=True)


def test_an_entry_shows_before_and_after_as_a_diff(as_user, db_session, w):
    to01 = db_session.get(User, w.user("to01").id)
    to01.phone, to01.password_hash = "0911222333", "changed"
    db_session.flush()
    entry = db_session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == "users", AuditEntry.action == "update")
        .order_by(AuditEntry.id.desc())
    ).first()
    rows = {r.field: r for r in browse.diff(entry)}
    assert rows["phone"].after == "0911222333" and rows["phone"].changed
    assert rows["password_hash"].before == rows["password_hash"].after == "***"
    client = as_user("xa")
    soup = BeautifulSoup(client.get(f"/audit/{entry.id}").get_data(as_text=True), "html.parser")
    changed = soup.select_one("#audit-entry tr.changed")
    assert changed.th.get_text() == "Điện thoại" and changed.th["title"] == "phone"
    assert changed.select_one("td.after").get_text() == "0911222333"
    assert "0911222333" in client.get("/audit/").get_data(as_text=True)


def test_a_review_decision_reads_in_vietnamese(as_user, db_session, w):
    """Table, field names and coded values (decision, states, channel) go through the catalog: no
    ``review_actions``, ``decision confirm`` or channel ``phone`` on the page."""
    from datetime import time

    from tests.review.helpers import send_turnout, vn
    from webapp.reports.models import ReportStatus
    from webapp.review import services as review
    from webapp.review.models import ReportKind

    report = send_turnout(db_session, w, 300, slot=time(9), at=(9, 5))
    audit.bind(db_session, audit.AuditContext(w.user("xa").id, "xa", Channel.PHONE))
    review.confirm_report(db_session, actor=w.user("xa"), kind=ReportKind.TURNOUT, report_id=report.id,
                          shown=ReportStatus.RECEIVED, now=vn(9, 30))
    db_session.flush()
    entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "review_actions")
                               .order_by(AuditEntry.id.desc())).first()
    page = BeautifulSoup(as_user("xa").get(f"/audit/{entry.id}").get_data(as_text=True), "html.parser")
    text = page.select_one("#audit-entry").get_text(" ")
    for raw in ("review_actions", "confirm", "phone", "status_before", "status_after", "received", "turnout"):
        assert raw not in text.split(), raw
    rows = {th["title"]: th.parent for th in page.select("#audit-entry tbody th[title]")}
    assert rows["decision"].select_one("td.after").get_text() == "Đã xác nhận"


@pytest.mark.parametrize("username", ["xa", "tinh", "quantri"])
def test_officials_reach_the_log(app, username):
    client = app.test_client()
    login(client, username)
    response = client.get("/audit/")
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    fragment = client.get("/audit/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="audit-list"' in fragment
