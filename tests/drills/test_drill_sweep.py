"""Every page of a drill says so: every HTML page any role can open inside a national drill carries "DIỄN TẬP"
(the banner of the layout, the watermark of a printable form), and ``/api/v1/me`` names the drill."""

from __future__ import annotations

import re

import pytest

from tests.drills.test_drills import started
from tests.test_scope_sweep import (  # lasting_sessions: the signed-in sessions sign_in reuses
    ID_SOURCES,
    NOT_OBJECTS,
    ROUTES,
    inside_object,
    is_public,
    lasting_sessions,  # noqa: F401
    sign_in,
)
from webapp.drills import services as drills
from webapp.drills.marking import MARK
from webapp.drills.views import SESSION_KEY
from webapp.elections import services as elections
from webapp.elections import working

EVERY_ROLE = ["to01", "xa", "tinh", "tongdai", "quantri", "tongdai_qg"]


@pytest.mark.parametrize("username", EVERY_ROLE)
def test_every_page_of_a_drill_says_so_for_every_role(client, db_session, w, username):
    real = elections.current_election(db_session)
    drill = drills.create_drill(db_session, actor=None, source=real, province_id=None, starts_at=started(75),
                                slot_minutes=10)
    db_session.flush()
    working.bind(db_session, drill.id)  # the objects the pages are opened on: the drill's units, candidates…
    sign_in(client, username)
    with client.session_transaction() as cookie:
        cookie[SESSION_KEY] = drill.id
    me = client.get("/api/v1/me").get_json()["election"]
    assert (me["id"], me["code"], me["is_drill"]) == (drill.id, drill.code, True)
    user = w.user(username)
    checked, unmarked = [], []
    for route in ROUTES:
        if "GET" not in route.methods or is_public(route.rule) or route.rule.startswith("/_/"):
            continue
        if route.endpoint in ("static", "set_language") or re.search(r"\.([a-z]+|<\w+>)$", route.rule):
            continue  # files: the XLSX and PDF marks have tests of their own
        values = {}
        for param in route.params:
            if (route.endpoint, param) in NOT_OBJECTS:
                values[param] = NOT_OBJECTS[(route.endpoint, param)][1]
                continue
            source = ID_SOURCES.get((route.endpoint, param)) or ID_SOURCES.get(param)
            obj = source and inside_object(db_session, source, user)
            if obj is None:
                break
            values[param] = getattr(obj, source.attr)
        else:
            url = route.url(values)
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
