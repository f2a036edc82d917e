"""Each input that once answered 500 (issue 10 §6), one test each, and the rules of ``webapp.inputs`` as
properties. The route-wide sweep is tests/test_fuzz_sweep.py; the API's document is checked by
tests/api/test_schemathesis.py."""

from __future__ import annotations

import io
from datetime import datetime
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import csrf_token
from tests.reports.helpers import AREA, vn
from webapp.audit.models import AuditEntry
from webapp.inputs import INT_MAX, parse_datetime, parse_hhmm, parse_int
from webapp.reports.models import TurnoutReport


@pytest.fixture
def morning(app, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTING_CLOCK_OVERRIDE", vn(9, 5).isoformat())


def _values(client, url: str) -> dict[str, str]:
    form = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser").select_one("form[data-offline]")
    return {tag["name"]: tag.get("value", "") for tag in form.select("input[name]") if tag.get("type") != "checkbox"}


@pytest.mark.parametrize("url", ["/stations/2147483648", "/stations/9223372036854775808", "/units/٣",
                                 "/api/v1/stations/2147483648", "/review/count/99999999999999999999"])
def test_an_id_past_the_database_integer_answers_404(as_user, url):
    assert as_user("quantri").get(url).status_code == 404


@pytest.mark.parametrize("url", ["/progress/corrections?commune=2147483648", "/progress/corrections?province=٣",
                                 "/api/v1/progress/corrections?commune_id=x", "/accounts/leaders?commune=x",
                                 "/accounts/leaders?commune=2147483648", "/review/?contest=²&page=٣",
                                 "/audit/?before=99999999999999999999", "/hotline/calls?page=²"])
def test_integer_query_parameters_never_crash(as_user, url):
    response = as_user("quantri").get(url)
    assert response.status_code in (200, 404) or (url.startswith("/api/") and response.status_code == 400), (
        response.status_code)


@pytest.mark.parametrize("path", ["/progress/", "/results/communes/{commune}/record", "/results/communes/{commune}/turnout/print"])
def test_a_query_name_that_is_also_a_route_value_never_crashes(as_user, w, path):
    client = as_user("xa")
    url = path.format(commune=w.user("xa").commune_id) + "?commune_id=x&province_id=1&pdf=1"
    assert client.get(url).status_code in (200, 303)


def test_query_parameters_with_control_characters_are_ignored(client, as_user):
    response = client.get("/lang/vi?next=/%0A/evil.example")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/login?next=%0D%0ASet-Cookie:x").status_code == 200
    response = as_user("xa").get("/stations?q=a%00b")
    assert response.status_code == 200


def test_a_nul_in_the_login_form_is_a_field_error_and_the_entries_are_kept(client, db_session):
    before = db_session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    response = client.post("/login", data={"username": "to01\x00x", "password": "secret",
                                            "csrf_token": csrf_token(client)})
    assert response.status_code == 422
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.select_one("input[name=username]")["value"] == "to01x"
    assert "control characters" in page.get_text() or "ký tự điều khiển" in page.get_text()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before


@pytest.mark.parametrize("voted", ["²", "٣٤٥", "1" * 5000, "1.234." * 900])
def test_numbers_in_other_scripts_or_too_long_are_refused_with_422(as_user, w, morning, db_session, voted):
    client = as_user("to01")
    url = f"/reports/{w.area(AREA).id}/turnout"
    response = client.post(url, data={**_values(client, url), "voted": voted})
    assert response.status_code == 422
    assert db_session.scalar(sa.select(sa.func.count()).select_from(TurnoutReport)) == 0


@pytest.mark.parametrize("slot", ["25:99", "23:60", "٠٩:٠٠"])
def test_an_impossible_report_time_is_refused_with_422(as_user, w, morning, db_session, slot):
    client = as_user("to01")
    url = f"/reports/{w.area(AREA).id}/turnout"
    response = client.post(url, data={**_values(client, url), "voted": "12", "slot": slot})
    assert response.status_code == 422
    assert db_session.scalar(sa.select(sa.func.count()).select_from(TurnoutReport)) == 0


def test_a_file_where_text_is_expected_is_a_field_error(as_user):
    client = as_user("quantri")
    response = client.post("/accounts/new", data={"csrf_token": csrf_token(client, "/accounts/new"),
                                                  "username": (io.BytesIO(b"\x00\xff"), "x.bin"), "role": "admin"})
    assert response.status_code == 422


def test_the_api_answers_a_stranger_401_not_a_redirect(client):
    for url in ("/api/v1/progress/nation", "/api/v1/results/provinces/1"):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.json["errors"][0]["code"] == "unauthenticated"


@pytest.mark.no_database
@given(st.text(max_size=12) | st.integers(-10, 10**12).map(str))
def test_parse_int_takes_ascii_digits_within_the_integer_only(text):
    value = parse_int(text)
    if text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= INT_MAX:
        assert value == int(text)
    else:
        assert value is None


@pytest.mark.no_database
@given(st.text(max_size=6) | st.tuples(st.integers(0, 99), st.integers(0, 99)).map(lambda t: f"{t[0]:02d}:{t[1]:02d}"))
def test_parse_hhmm_takes_real_times_of_day_only(text):
    value = parse_hhmm(text)
    if value is not None:
        assert value.strftime("%H:%M") == text


@pytest.mark.no_database
@given(st.datetimes(timezones=st.timezones()) | st.text(max_size=30))
def test_parse_datetime_takes_rfc3339_date_times_with_an_offset_only(value):
    text = value.isoformat() if isinstance(value, datetime) else value
    parsed = parse_datetime(text)
    if isinstance(value, datetime) and value.utcoffset() is not None and value.utcoffset().seconds % 60 == 0:
        assert parsed is not None and parsed.timestamp() == value.timestamp()
    if parsed is not None:
        assert parsed.tzinfo is not None


@pytest.mark.parametrize("since", ["2026-03-15", "2026-03-15T19:30:00", "20260315T193000Z", "2026-W11-7T19:30:00Z",
                                   "2026-02-30T19:30:00+07:00", "x", ""])
def test_the_corrections_feed_refuses_a_since_that_is_not_an_rfc3339_date_time(as_user, since):
    client = as_user("quantri")
    response = client.get("/api/v1/progress/corrections", query_string={"since": since})
    assert response.status_code == 400, since
    assert client.get("/api/v1/progress/corrections",
                      query_string={"since": "2026-03-15T19:30:00+07:00"}).status_code == 200


@pytest.mark.no_database
def test_request_data_is_read_through_the_edge_helpers():
    """A new form starts from webapp.forms, and a new integer query parameter goes through query_int."""
    root = Path(__file__).resolve().parent.parent / "webapp"
    offenders = []
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path != root / "forms.py" and re.search(r"\(FlaskForm\)|import FlaskForm", text):
            offenders.append(f"{path.relative_to(root)}: a form built on FlaskForm (use webapp.forms.Form)")
        if re.search(r"args\.get\([^)]*type=int", text):
            offenders.append(f"{path.relative_to(root)}: request.args.get(type=int) (use webapp.inputs.query_int)")
    assert not offenders, offenders
