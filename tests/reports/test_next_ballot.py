"""Issue 16 §4: after the receipt of one ballot's count minutes, the first button leads to the next ballot whose
minutes are not sent yet (coming round after the last), and none once all three are sent."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from tests.reports.helpers import AREA, links
from tests.review.helpers import send_count
from webapp.elections.models import ContestKind

NA, PROVINCIAL, COMMUNE = ContestKind.NATIONAL_ASSEMBLY, ContestKind.PROVINCIAL_COUNCIL, ContestKind.COMMUNE_COUNCIL


def _next_button(client, report):
    page = BeautifulSoup(client.get(f"/reports/count/{report.id}").get_data(as_text=True), "html.parser")
    button = page.select_one("#next-ballot")
    return button and (button["href"], button.get_text(strip=True), "primary" in button["class"])


def test_the_receipt_leads_to_the_next_ballot_not_yet_sent(as_user, db_session, w):
    client = as_user("to01")
    contests = {kind: link.contest_id for kind, link in links(db_session, w.area(AREA)).items()}
    count_url = f"/reports/{w.area(AREA).id}/count/" + "{}"
    first = send_count(db_session, w, kind=PROVINCIAL)
    assert _next_button(client, first) == (count_url.format(contests[COMMUNE]),
                                           "Tiếp theo: nhập biên bản HĐND cấp xã", True)
    commune = send_count(db_session, w, kind=COMMUNE)
    # Past the last ballot, round to the first one still missing.
    assert _next_button(client, commune)[0] == count_url.format(contests[NA])
    # The older receipt follows what is sent now, and a replaced version leads nowhere.
    assert _next_button(client, first)[0] == count_url.format(contests[NA])
    last = send_count(db_session, w, kind=NA)
    assert _next_button(client, last) is None and _next_button(client, first) is None
    again = send_count(db_session, w, kind=NA)
    assert again.version == 2 and _next_button(client, last) is None


@pytest.mark.parametrize(("username", "shown"), [("to01", True), ("xa", False)])
def test_only_the_leader_gets_the_button(as_user, db_session, w, username, shown):
    report = send_count(db_session, w, kind=NA)
    assert (_next_button(as_user(username), report) is not None) is shown
