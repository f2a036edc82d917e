"""A station's timeline: every version of both kinds, the photos, the commune's decisions and the calls, newest
first, with who did what (and in which role), when and through which channel."""

from __future__ import annotations

from datetime import time

from bs4 import BeautifulSoup

from tests.reports.helpers import jpeg_bytes, new_id
from tests.review.helpers import send_count, send_turnout, vn
from webapp.audit.models import Channel
from webapp.hotline import services
from webapp.hotline.models import CallOutcome
from webapp.reports import services as reports
from webapp.reports.models import ReportStatus
from webapp.review import services as review
from webapp.review.models import ReportKind


def test_the_timeline_merges_everything_newest_first(db_session, w, tmp_path):
    area = w.area("26743-01")
    t1 = send_turnout(db_session, w, 300, slot=time(9), at=(9, 5))
    t2 = send_turnout(db_session, w, 310, slot=time(9), at=(9, 12))
    review.confirm_report(db_session, actor=w.user("xa"), kind=ReportKind.TURNOUT, report_id=t2.id,
                          shown=ReportStatus.RECEIVED, now=vn(9, 30))
    call = services.record_call(db_session, actor=w.user("tongdai"), area_id=area.id,
                                outcome=CallOutcome.REACHED, note="Đã nhắc báo cáo", now=vn(11, 50))
    count = send_count(db_session, w, at=(20, 0), explanations={"turnout_ne_voted": "Cử tri đến sau 9 giờ"})
    photo = reports.attach_photo(db_session, actor=w.user("to01"), report_id=count.id, content=jpeg_bytes(),
                                 client_uuid=new_id(), channel=Channel.WEB, now=vn(20, 5), upload_dir=tmp_path)
    timeline = services.station_timeline(db_session, w.user("tongdai"), area.id)
    kinds = [(e.kind, e.obj.id) for e in timeline.events]
    assert kinds == [("photo", photo.report.id), ("count", count.id), ("call", call.id),
                     ("review", review.last_action(db_session, ReportKind.TURNOUT, t2.id).id),
                     ("turnout", t2.id), ("turnout", t1.id)]
    assert [m.id for m in timeline.team] == [m.id for m in area.team]
    assert [u.username for u in timeline.leaders] == ["to01"]


def test_the_timeline_page_shows_who_when_and_how(as_user, db_session, w):
    area = w.area("26743-01")
    t1 = send_turnout(db_session, w, 300, slot=time(9), at=(9, 5))
    review.return_report(db_session, actor=w.user("xa"), kind=ReportKind.TURNOUT, report_id=t1.id,
                         shown=ReportStatus.RECEIVED, reasons=["numbers_mismatch"], text="Kiểm tra lại",
                         now=vn(9, 30))
    page = BeautifulSoup(as_user("tongdai").get(f"/hotline/stations/{area.id}").get_data(as_text=True),
                         "html.parser")
    events = page.select("#hotline-station .hl-timeline > li")
    assert [e["class"][1] for e in events] == ["hl-event-review", "hl-event-turnout"]
    assert "09:30 15/03" in events[0].text and "Kiểm tra lại" in events[0].text
    assert "Tiến độ 09:00" in events[0].select_one("p strong").parent.text  # the decision names its report time
    assert "Cán bộ xã" in events[0].text or "Commune official" in events[0].text
    assert t1.receipt[:3] in events[1].text and "09:05 15/03" in events[1].text
    tel = [a["href"] for a in page.select(".hl-phones a.hl-tel")]
    assert f"tel:{area.team[0].phone}" in tel
    assert page.select_one(f"a[href='/hotline/stations/{area.id}/turnout']") is not None


def test_other_hotlines_and_roles_cannot_open_the_timeline(as_user, w):
    area = w.area("26743-01")
    assert as_user("hn_tongdai").get(f"/hotline/stations/{area.id}").status_code == 404


def test_the_national_hotline_sees_both_provinces(as_user, w):
    client = as_user("tongdai_qg")
    assert client.get(f"/hotline/stations/{w.area('26743-01').id}").status_code == 200
    assert client.get(f"/hotline/stations/{w.area('00070-01').id}").status_code == 200
