"""Every page of a drill says so: every HTML page any role can open inside a national drill carries "DIỄN TẬP"
(the banner of the layout, the watermark of a printable form), and ``/api/v1/me`` names the drill."""

from __future__ import annotations

import pytest

from tests.drills.test_drills import started
from tests.test_pages import page_urls
from tests.test_scope_sweep import lasting_sessions, sign_in  # noqa: F401 (the signed-in sessions sign_in reuses)
from webapp.drills import services as drills
from webapp.drills.marking import MARK
from webapp.drills.views import SESSION_KEY
from webapp.elections import services as elections
from webapp.elections import working

EVERY_ROLE = ["to01", "xa", "tinh", "tongdai", "quantri", "tongdai_qg"]


@pytest.mark.parametrize("username", EVERY_ROLE)
def test_every_page_of_a_drill_says_so_for_every_role(client, db_session, w, username):
    real = elections.current_election(db_session)
    # A morning drill: its day never runs past midnight, whatever time the test runs (the pages are the same).
    drill = drills.create_drill(db_session, actor=None, source=real, province_id=None,
                                starts_at=started(0).replace(hour=6, minute=0), slot_minutes=10)
    db_session.flush()
    working.bind(db_session, drill.id)  # the objects the pages are opened on: the drill's units, candidates…
    sign_in(client, username)
    with client.session_transaction() as cookie:
        cookie[SESSION_KEY] = drill.id
    me = client.get("/api/v1/me").get_json()["election"]
    assert (me["id"], me["code"], me["is_drill"]) == (drill.id, drill.code, True)
    checked, unmarked = [], []
    for url in page_urls(db_session, w.user(username)):  # files: the XLSX and PDF marks have tests of their own
        page = client.get(url)
        if page.mimetype != "text/html" or page.status_code != 200:
            continue
        html = page.get_data(as_text=True)
        if "<html" not in html:
            continue
        checked.append(url)
        if MARK not in html:
            unmarked.append(url)
    assert len(checked) >= 5, checked
    assert unmarked == [], f"pages of the drill without {MARK} as {username}: {unmarked}"
