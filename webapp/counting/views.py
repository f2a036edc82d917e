"""Count progress: the leader's buttons (one per ballot and state) and the committees' "x / N tổ hoàn thành"."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp import db
from webapp.accounts.models import Role
from webapp.audit.models import Channel
from webapp.clock import VN_TZ, election_now, to_local
from webapp.counting import services
from webapp.counting.models import Mark
from webapp.elections import services as elections
from webapp.htmx import render
from webapp.i18n import _, _l
from webapp.inputs import parse_int
from webapp.labels import CONTEST_SHORT
from webapp.reports import common
from webapp.web import current_actor, roles_required

bp = Blueprint("counting", __name__)
OVERSEERS = (Role.COMMUNE, Role.PROVINCE, Role.ADMIN, Role.HOTLINE)

STATE_LABELS = {
    services.NOT_STARTED: _l("not started"),
    Mark.COUNTING.value: _l("counting"),
    Mark.COUNTED.value: _l("counted"),
    Mark.SIGNED.value: _l("minutes signed"),
    Mark.IRREGULAR.value: _l("irregular: box resealed, reported to the Ban"),
    services.SENT: _l("minutes sent, received"),
    services.RETURNED: _l("minutes returned"),
    services.CONFIRMED: _l("confirmed"),
}
MARK_BUTTONS = {
    Mark.COUNTING: _l("Counting started"),
    Mark.COUNTED: _l("Counting finished"),
    Mark.SIGNED: _l("Minutes signed"),
    Mark.IRREGULAR: _l("More ballots than voters: box resealed"),
}
REFUSALS = {
    "before_close": _l("The count starts when voting ends (19:00): nothing to mark yet."),
    "not_a_contest": _l("This station does not vote in that election."),
}


@dataclasses.dataclass(frozen=True)
class MarkEntry:
    """Who marks a station's count: its leader (channel web, on the leader's page) or the hotline when the leader
    calls in (channel phone, ``webapp.hotline.proxy``, with ``back`` the station's hotline page)."""

    channel: Channel
    action: str  # the page's URL, where its buttons post
    back: str | None = None

    @property
    def by_phone(self) -> bool:
        return self.channel is Channel.PHONE


def _marks_page(area_id: int, entry: MarkEntry, status: int = 200) -> Response:
    area = common.scoped_area(db.session, current_user, area_id)
    if not common.may_submit(current_user, area, entry.channel):
        abort(403)
    links = common.area_contests(db.session, area)
    now = election_now(elections.current_election(db.session))
    found = services.states(db.session, sa.select(sa.literal(area.id)), now)
    return render("counting/station.html", "counting/_station.html", status=status, area=area, links=links,
                  found=found, entry=entry, STATE_LABELS=STATE_LABELS, MARK_BUTTONS=MARK_BUTTONS,
                  new_uuid=uuid.uuid4)


@bp.route("/count-progress", methods=["GET", "POST"])
@roles_required(Role.LEADER, *OVERSEERS)
def station() -> Response:
    """The leader marks the count of each ballot; everyone else goes to their committee's progress."""
    if current_user.role is not Role.LEADER:
        if current_user.commune_id is not None:
            return redirect(url_for("counting.commune", commune_id=current_user.commune_id), 303)
        if current_user.province_id is not None:
            return redirect(url_for("counting.province", province_id=current_user.province_id), 303)
        return redirect(url_for("progress.index"), 303)
    return mark_entry(current_user.polling_area_id, MarkEntry(Channel.WEB, url_for("counting.station")))


def mark_entry(area_id: int, entry: MarkEntry) -> Response:
    """The station's marks page and its buttons' POST, for the leader and for the hotline by phone alike."""
    if request.method == "GET":
        return _marks_page(area_id, entry)
    contest_id = parse_int(request.form.get("contest_id"))
    state = request.form.get("mark", "")
    try:
        client_uuid = uuid.UUID(request.form.get("client_uuid", ""))
    except ValueError:
        client_uuid = None
    if contest_id is None or state not in Mark.__members__.values() or client_uuid is None:
        flash(_("This form is out of date. Reload the page and try again."), "error")
        return _marks_page(area_id, entry, 422)
    try:
        services.mark(db.session, actor=current_actor(entry.channel), area_id=area_id,
                      contest_id=contest_id, state=Mark(state), client_uuid=client_uuid,
                      now=election_now(elections.current_election(db.session)))
    except common.NotAllowed:
        abort(403)
    except services.MarkRefused as refused:
        flash(str(REFUSALS[refused.code]), "error")
        return _marks_page(area_id, entry, 422)
    if entry.by_phone:
        flash(_("Marked by phone: %(state)s.", state=STATE_LABELS[state]), "success")
    else:
        flash(_("Marked: %(state)s.", state=STATE_LABELS[state]), "success")
    return redirect(entry.action, 303)


def moment_asked(now: datetime) -> datetime:
    """The moment asked for (``?at=`` an ISO time of the night), never later than now."""
    raw = request.args.get("at", "")
    try:
        moment = datetime.fromisoformat(raw) if raw else now
    except ValueError:
        moment = now
    moment = moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ)
    return min(moment, now)


def _progress_page(**place: int) -> Response:
    now = election_now(elections.current_election(db.session))
    found = services.progress(db.session, current_user, at=moment_asked(now), now=now, **place)
    return render("counting/progress.html", "counting/_progress.html", p=found, STATE_LABELS=STATE_LABELS,
                  now=now, local=to_local, CONTEST_SHORT=CONTEST_SHORT)


@bp.get("/count-progress/communes/<int:commune_id>")
@roles_required(*OVERSEERS)
def commune(commune_id: int) -> Response:
    """A commune's teams: x / N finished, per Ban, and who is still counting, at a time of the night."""
    return _progress_page(commune_id=commune_id)


@bp.get("/count-progress/provinces/<int:province_id>")
@roles_required(Role.PROVINCE, Role.ADMIN, Role.HOTLINE)
def province(province_id: int) -> Response:
    """A province's teams: x / N finished, per Ban and commune, and who is still counting."""
    return _progress_page(province_id=province_id)
