"""Entry by phone: when a leader reports by phone, the hotline types the numbers on the leader's behalf on the
leader's own pages in their phone mode (``PHONE``), reads them back (a step that cannot be skipped), and saves them
through the reports' own services with channel PHONE; it marks the count's progress on the leader's page the same
way. The report is then like any other: a receipt, the checks, and
the commune's confirmation."""

from __future__ import annotations

from flask import url_for
from werkzeug.wrappers import Response

from webapp.accounts.models import Role
from webapp.audit.models import Channel
from webapp.counting.views import MarkEntry, mark_entry
from webapp.hotline import bp
from webapp.reports.views.count import count_entry
from webapp.reports.views.entry import Entry
from webapp.reports.views.turnout import turnout_entry
from webapp.web import roles_required

PHONE = Entry(Channel.PHONE, turnout="hotline.enter_turnout", count="hotline.enter_count", station="hotline.station")


@bp.route("/hotline/stations/<int:area_id>/turnout", methods=["GET", "POST"])
@roles_required(Role.HOTLINE)
def enter_turnout(area_id: int) -> Response:
    """The hotline enters the turnout a leader gives by phone, reads it back, then saves it (channel phone)."""
    return turnout_entry(PHONE, area_id)


@bp.route("/hotline/stations/<int:area_id>/count/<int:contest_id>", methods=["GET", "POST"])
@roles_required(Role.HOTLINE)
def enter_count(area_id: int, contest_id: int) -> Response:
    """The hotline enters one contest's count minutes a leader reads out by phone, reads them back, saves them."""
    return count_entry(PHONE, area_id, contest_id)


@bp.route("/hotline/stations/<int:area_id>/count-progress", methods=["GET", "POST"])
@roles_required(Role.HOTLINE)
def enter_count_marks(area_id: int) -> Response:
    """The hotline marks a station's count (counting, counted, minutes signed, irregular) as its leader says by
    phone, through the counting services (channel phone, audited as such)."""
    return mark_entry(area_id, MarkEntry(Channel.PHONE, url_for("hotline.enter_count_marks", area_id=area_id),
                                         back=url_for("hotline.station", area_id=area_id)))
