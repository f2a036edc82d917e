"""``createFollowUpVote``: the committee creates a unit's additional or repeat election through the API, with the
same service, scope and audit as its page. The follow-up's results are read with ``getUnitResult`` of the first
vote's unit (``follow_ups``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, jsonify, request
from flask_login import current_user

from webapp import db
from webapp.api.blueprints import api_blueprint, roles_allowed
from webapp.api.parsing import Reader, load_json
from webapp.api.problems import ApiError, Problem
from webapp.clock import reporting_now
from webapp.followups import services
from webapp.followups.models import FollowUpVote
from webapp.followups.rules import FollowUpKind
from webapp.followups.views import CREATORS

bp = api_blueprint("followups_api", __name__, "/api/v1/follow-ups")

# The kinds as the law names them are accepted too: thêm (additional), lại (repeat).
KINDS = {k.value: k for k in FollowUpKind} | {"thêm": FollowUpKind.ADDITIONAL, "lại": FollowUpKind.REPEAT}


def follow_up_json(f: FollowUpVote) -> dict[str, Any]:
    return {"id": f.id, "unit_id": f.unit_id, "kind": f.kind.value, "polling_date": f.election.polling_date.isoformat(),
            "election": {"id": f.election_id, "code": f.election.code, "name": f.election.name},
            "follow_up_unit_id": f.own_unit_id, "follows_id": f.follows_id}


@bp.post("")
@roles_allowed(*CREATORS)
def create() -> Response:
    """Create the follow-up vote a unit's result calls for."""
    raw = request.get_data(cache=False)
    reader = Reader(load_json(raw) if raw.strip() else {})
    unit_id = reader.integer("unit_id")
    if unit_id is None:
        reader.shape.append(Problem("required", "unit_id"))
    kind_text = reader.text("kind", 20)
    kind = KINDS.get(kind_text)
    if kind is None:
        reader.values.append(Problem("invalid_choice", "kind", {"choices": list(KINDS)}))
    day_text = reader.text("polling_date", 10)
    try:
        day = date.fromisoformat(day_text) if len(day_text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        reader.values.append(Problem("invalid_date", "polling_date"))
    reader.finish()
    assert unit_id is not None and kind is not None and day is not None
    try:
        follow_up = services.create_follow_up(db.session, actor=current_user, now=reporting_now(), unit_id=unit_id,
                                              kind=kind, polling_date=day)
    except services.NotAllowed:
        raise ApiError(403, Problem("follow_up_not_allowed")) from None
    except services.FollowUpRefused as exc:
        field = "polling_date" if exc.code.startswith("date") else "kind"
        raise ApiError(422, Problem(f"follow_up_{exc.code}", field)) from None
    return jsonify(follow_up_json(follow_up)), 201  # type: ignore[return-value]
