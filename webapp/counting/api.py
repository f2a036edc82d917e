"""Count progress as JSON (read-only, described in ``webapp.counting.openapi``): the committees' page
(``webapp.counting.views``) for another system, "x / N tổ hoàn thành" per Ban, commune and province with the
count of ballots in each state, at a time of the night. Under /api/v1/progress/, so the "progress:read" scope of an
integration token opens it as it opens the turnout's progress."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from flask_login import current_user

from webapp import db
from webapp.accounts.models import Role
from webapp.api.auth import require_scope
from webapp.api.problems import bilingual
from webapp.clock import election_now
from webapp.counting import services
from webapp.counting.models import Mark
from webapp.counting.views import OVERSEERS, moment_asked
from webapp.elections import services as elections
from webapp.i18n import _
from webapp.web import roles_required

bp = Blueprint("counting_api", __name__, url_prefix="/api/v1/progress/count")
bp.before_request(require_scope)  # an integration token reads only what its scopes open

#: Every state a ballot can be in, in the ladder's order, irregular and returned last (``by_state`` has each).
STATES = (*services.LADDER, services.RETURNED, Mark.IRREGULAR.value)


def _place(obj: Any) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.id, "code": obj.code, "name": obj.name}


def tally_json(t: services.Tally) -> dict[str, Any]:
    return {
        "teams": t.expected, "finished": t.finished,
        "summary": bilingual(lambda: _("%(done)s / %(total)s teams finished", done=t.finished, total=t.expected)),
        "ballots_by_state": {state: t.by_state.get(state, 0) for state in STATES},
    }


def progress_json(p: services.Progress) -> dict[str, Any]:
    return {
        "place": {"level": "commune" if p.commune else "province", "province": _place(p.province),
                  "commune": _place(p.commune)},
        "at": p.at.isoformat(), "times": [t.isoformat() for t in p.times],
        "total": tally_json(p.total),
        "units": [{"unit": _place(unit), "contest": unit.contest.kind.value, **tally_json(t)} for unit, t in p.units],
        "communes": [{"code": t.code, "name": t.name, **tally_json(t)} for t in p.communes],
        "still_counting": [{"polling_area": {"id": area.id, "code": area.code}, "contest": contest.kind.value,
                            "state": state} for area, contest, state in p.total.still],
    }


def _progress(**place: int) -> Response:
    now = election_now(elections.current_election(db.session))
    return jsonify(progress_json(services.progress(db.session, current_user, at=moment_asked(now), now=now, **place)))


@bp.get("/communes/<int:commune_id>")
@roles_required(*OVERSEERS, Role.INTEGRATION)
def commune(commune_id: int) -> Response:
    """A commune's teams: x / N finished, per Ban, with the ballots in each state, at ``?at=`` (default now)."""
    return _progress(commune_id=commune_id)


@bp.get("/provinces/<int:province_id>")
@roles_required(Role.PROVINCE, Role.ADMIN, Role.HOTLINE, Role.INTEGRATION)
def province(province_id: int) -> Response:
    """A province's teams: x / N finished, per Ban and commune, with the ballots in each state."""
    return _progress(province_id=province_id)
