"""The names of the Ban's and the committee's members fill the signature blocks (issue 17 §3)."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import csrf_token
from tests.results.helpers import BEN_THANH
from tests.results.test_forms import get_pdf, text_of
from webapp.audit.models import AuditEntry
from webapp.members.models import CommitteeMember


def test_the_ban_and_the_committee_sign_with_their_names(as_user, db_session, w):
    unit, commune = w.unit("X-26743-01"), w.commune(BEN_THANH)
    client = as_user("xa")
    assert client.get(f"/members/units/{unit.id}").status_code == 200
    token = csrf_token(client, f"/members/units/{unit.id}")
    saved = client.post(f"/members/units/{unit.id}", data={
        "chair": "Nguyễn Văn Trưởng", "vice_chairs": "Lê Thị Phó\n\n  Trần   Văn Hai  ", "secretary": "Phạm Thư Ký",
        "csrf_token": token})
    assert saved.status_code == 303
    assert client.post(f"/members/communes/{commune.id}", data={
        "chair": "Võ Chủ Tịch", "vice_chairs": "Đỗ Phó Chủ Tịch", "csrf_token": token}).status_code == 303

    text = text_of(get_pdf(client, f"/results/units/{unit.id}/minutes.pdf"), "unit-signers")
    for name in ("Nguyễn Văn Trưởng", "Lê Thị Phó", "Trần Văn Hai", "Phạm Thư Ký"):
        assert name in text
    text = text_of(get_pdf(client, f"/results/communes/{commune.id}/record.pdf"), "commune-signers")
    assert "Võ Chủ Tịch" in text and "Đỗ Phó Chủ Tịch" in text and "Mẫu số 25/HĐBC-HĐND" in text

    # Saved again: the same body's names replaced, each row's write audited.
    assert client.post(f"/members/units/{unit.id}", data={"chair": "Nguyễn Văn Mới", "csrf_token": token}
                       ).status_code == 303
    names = db_session.scalars(sa.select(CommitteeMember.full_name).where(CommitteeMember.unit_id == unit.id)).all()
    assert names == ["Nguyễn Văn Mới"]
    audited = db_session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.entity_type == "committee_members")).all()
    assert audited.count("create") == 7 and audited.count("delete") == 4


def test_bad_entries_answer_422_and_keep_what_was_typed(as_user, w):
    unit = w.unit("X-26743-01")
    client = as_user("xa")
    token = csrf_token(client, f"/members/units/{unit.id}")
    many = "\n".join(f"Phó {i}" for i in range(12))
    refused = client.post(f"/members/units/{unit.id}", data={"chair": "Tên\x00", "vice_chairs": many,
                                                             "csrf_token": token})
    assert refused.status_code == 422
    assert "Phó 11" in refused.get_data(as_text=True)


def test_only_the_committee_that_runs_the_unit(as_user, w):
    client = as_user("tinh")
    assert client.get(f"/members/units/{w.unit('X-26743-01').id}").status_code == 403
    assert client.get(f"/members/communes/{w.commune(BEN_THANH).id}").status_code == 403
    assert client.get(f"/members/units/{w.unit('QH-01-01').id}").status_code == 404
    assert client.get(f"/members/provinces/{w.province('01').id}").status_code == 404
    assert client.get(f"/members/provinces/{w.province('79').id}").status_code == 200
