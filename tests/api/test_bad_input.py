"""Bad input never makes a 500: malformed JSON and wrong types answer 400, refused values 422, all in the
documented error shape. Hypothesis throws arbitrary JSON (and some non-JSON) at both submissions."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import assert_error_shape, count_body, count_url

NUMBERS = ("voters_on_list", "voters_voted", "ballots_issued", "ballots_received", "valid", "invalid")


@pytest.mark.parametrize("raw, code", [
    (b"{not json", "invalid_json"),
    (b"", "invalid_json"),
    (b"\xff\xfe", "invalid_json"),
    (b'{"client_uuid": NaN}', "invalid_json"),
    (b"[" * 50_000, "invalid_json"),
    (b"[1, 2]", "not_an_object"),
    (b"null", "not_an_object"),
    (b"{}", "required"),
    (b'{"client_uuid": "not-a-uuid"}', "invalid_uuid"),
])
def test_malformed_bodies_answer_400(api, w, token_for, raw, code, election_night):
    response = api("POST", count_url(w), token_for("to01"), data=raw, content_type="application/json")
    assert response.status_code == 400, response.json
    assert_error_shape(response.json)
    assert response.json["errors"][0]["code"] == code


@pytest.mark.parametrize("field, value, code, status", [
    ("valid", "812", "invalid_type", 400),
    ("valid", 812.0, "invalid_type", 400),
    ("valid", True, "invalid_type", 400),
    ("votes", [1, 2], "invalid_type", 400),
    ("votes", {"abc": 1}, "invalid_key", 400),
    ("witnesses", "Nguyễn Văn A", "invalid_type", 400),
    ("witnesses", ["A\x00", "B"], "invalid_text", 400),
    ("witnesses", ["\ud800", "B"], "invalid_text", 400),
    ("voter_voted", 1, "unknown_field", 400),
    ("valid", 10**30, "out_of_range", 422),
    ("complaints_note", "x" * 2001, "too_long", 422),
    ("valid", None, "blank", 422),
    ("valid", -5, "negative", 422),
])
def test_wrong_values_answer_with_the_field_and_a_code(api, db_session, w, token_for, field, value, code, status,
                                                      election_night):
    body = count_body(db_session, w, **{field: value})
    raw = json.dumps(body, ensure_ascii=True).encode()  # "\ud800" stays an escape, as a client would send it
    response = api("POST", count_url(w), token_for("to01"), data=raw, content_type="application/json")
    assert response.status_code == status, response.json
    assert_error_shape(response.json)
    assert code in {e["code"] for e in response.json["errors"]}
    assert any((e["field"] or "").startswith(field) for e in response.json["errors"] if e["code"] == code)


def test_a_body_too_large_answers_413(api, w, token_for):
    response = api("POST", count_url(w), token_for("to01"), data=b" " * 300_000, content_type="application/json")
    assert response.status_code == 413 and response.json["errors"][0]["code"] == "payload_too_large"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
count_like = st.fixed_dictionaries(
    {"client_uuid": st.one_of(st.uuids().map(str), json_values)},
    optional={**{name: st.one_of(st.integers(), json_values) for name in NUMBERS},
              "votes": st.one_of(st.dictionaries(st.integers(0, 10**12).map(str), st.integers()), json_values),
              "names_kept": json_values, "signer_ids": st.one_of(st.lists(st.integers()), json_values),
              "witnesses": st.one_of(st.lists(st.text(), max_size=3), json_values),
              "explanations": st.one_of(st.dictionaries(st.text(max_size=70), st.text()), json_values),
              "complaints_note": json_values, "extra": json_values},
)
turnout_like = st.fixed_dictionaries(
    {"client_uuid": st.one_of(st.uuids().map(str), json_values)},
    optional={"voters_voted": st.one_of(st.integers(), json_values), "reason": json_values,
              "per_contest": st.one_of(st.dictionaries(st.sampled_from(["na", "provincial", "commune", "x"]),
                                                       st.integers()), json_values),
              "slot": st.one_of(st.sampled_from(["09:00", "25:00", "9h"]), json_values), "no_change": json_values},
)


def _check(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        assert_error_shape(response.json)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(count_like, json_values))
def test_fuzzed_count_minutes_never_crash(api, w, token_for, election_night, body):
    _check(api("POST", count_url(w), token_for("to01"), json=body))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(turnout_like, json_values), raw=st.binary(max_size=40))
def test_fuzzed_turnout_reports_never_crash(api, w, token_for, election_night, body, raw):
    url = f"/api/v1/stations/{w.area('26743-01').id}/turnout"
    secret = token_for("to01")
    _check(api("POST", url, secret, json=body))
    _check(api("POST", url, secret, data=raw, content_type="application/json"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(area_id=st.integers(min_value=0, max_value=10**25), code=st.text(min_size=1, max_size=30))
def test_fuzzed_ids_and_codes_never_crash(api, token_for, area_id, code):
    secret = token_for("to01")
    _check(api("GET", f"/api/v1/stations/{area_id}", secret))
    _check(api("POST", f"/api/v1/stations/{area_id}/count/na", secret, json={"client_uuid": str(uuid.uuid4())}))
    _check(api("GET", "/api/v1/receipts/" + code.replace("/", "").replace("?", "").replace("#", "") + "x", secret))


@pytest.mark.parametrize("disposition", ['name="photo"', 'name="photo"; filename=""', 'name="photo"; filename="\\x00"',
                                         'filename="bb.jpg"', 'name=""; filename="bb.jpg"'])
def test_a_photo_part_without_a_file_name_is_refused(api, app, db_session, w, token_for, election_night, tmp_path,
                                                     monkeypatch, disposition):
    from tests.reports.helpers import jpeg_bytes

    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    secret = token_for("to01")
    report_id = api("POST", count_url(w), secret, json=count_body(db_session, w)).json["report_id"]
    body = (b'--B\r\nContent-Disposition: form-data; name="client_uuid"\r\n\r\n' + str(uuid.uuid4()).encode()
            + b"\r\n--B\r\nContent-Disposition: form-data; " + disposition.encode() + b"\r\n"
            + b"Content-Type: image/jpeg\r\n\r\n" + jpeg_bytes() + b"\r\n--B--\r\n")
    response = api("POST", f"/api/v1/reports/count/{report_id}/photo", secret, data=body,
                   content_type="multipart/form-data; boundary=B")
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        assert_error_shape(response.json)
