"""The results as JSON (read-only): a unit, a province's or a commune's units, and the turnout progress.

Described in ``webapp.results.openapi``; every figure is an integer, percentages are display strings with two
decimals and a dot ("51.20"), or null when there is nothing to divide by.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from flask_login import current_user

from webapp import db
from webapp.accounts.models import Role
from webapp.api.auth import require_scope
from webapp.api.bodies import iso
from webapp.results import progress, services
from webapp.results.queries import COMPLAINTS, SUMMED
from webapp.results.rules import percent, percent_json, valid_invalid_percent
from webapp.web import roles_required

bp = Blueprint("results_api", __name__, url_prefix="/api/v1/results")
bp.before_request(require_scope)  # an integration token reads only what its scopes open

# Integration accounts read through the API only (tokens with the "results:read" scope).
READERS = (Role.COMMUNE, Role.PROVINCE, Role.ADMIN, Role.HOTLINE, Role.INTEGRATION)



def _place(obj: Any) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.id, "code": obj.code, "name": obj.name}


def figures_json(f: services.Figures, *, decided: bool) -> dict[str, Any]:
    t, r = f.totals, f.result
    valid_pct, invalid_pct = valid_invalid_percent(t.valid, t.invalid, t.ballots_received)
    body: dict[str, Any] = {name: getattr(t, name) for name in SUMMED}
    body.update(
        stations=t.stations,
        turnout_percent=percent_json(percent(t.voters_voted, t.voters_on_list)),
        valid_percent=percent_json(valid_pct), invalid_percent=percent_json(invalid_pct),
        complaints={name.removeprefix("complaints_"): f.complaints[name] for name in COMPLAINTS},
        candidates=[
            {"id": c.id, "ballot_order": c.ballot_order, "full_name": c.full_name,
             "birth_date": c.birth_date.isoformat(), "votes": c.votes, "percent_of_valid": percent_json(c.percent),
             "passed_threshold": c.passed, "rank": c.rank,
             "elected": decided and c.elected, "undecided": decided and c.undecided}
            for c in f.candidates
        ],
        decision=None if not decided else {
            "valid_election": r.valid_election, "turnout_met": r.turnout_met, "needs_revote": r.needs_revote,
            "needs_additional_election": r.needs_additional_election, "winners": r.winners,
            "undecided": r.undecided, "seats_undecided": r.seats_undecided,
        },
    )
    return body


def _unit_json(unit: Any) -> dict[str, Any]:
    return {"id": unit.id, "code": unit.code, "number": unit.number, "name": unit.name, "seats": unit.seats,
            "contest": unit.contest.kind.value, "province": _place(unit.province), "commune": _place(unit.commune)}


def unit_json(o: services.UnitOutcome) -> dict[str, Any]:
    unit = o.unit
    if o.sealed:
        return {"unit": _unit_json(unit), "sealed": True, "sealed_until": iso(o.sealed_until),
                "completeness": {"expected": o.expected}, "official": None, "provisional": None}
    return {
        "unit": _unit_json(unit), "sealed": False, "sealed_until": None,
        "completeness": {"expected": o.expected, "confirmed": o.confirmed, "received": o.received,
                         "returned": o.returned, "complete": o.complete, "state": o.state},
        "official": figures_json(o.official, decided=o.complete),
        "provisional": None if o.provisional is None else figures_json(o.provisional, decided=False),
    }


def committee_json(results: services.CommitteeResults) -> dict[str, Any]:
    return {
        "committee": {"level": results.level, "province": _place(results.province),
                      "commune": _place(results.commune)},
        "contests": [
            {"contest": c.contest.kind.value, "name": c.contest.name, "expected": c.expected,
             "confirmed": c.confirmed, "complete": c.complete, "units": [unit_json(o) for o in c.units]}
            for c in results.contests
        ],
    }


def turnout_json(p: progress.TurnoutProgress) -> dict[str, Any]:
    return {
        "place": {"level": "commune" if p.commune else "province", "province": _place(p.province),
                  "commune": _place(p.commune)},
        "stations": p.expected,
        "contests": [{"contest": c.kind.value, "name": c.name, "voters_on_list": p.on_list.get(c.id, 0)}
                     for c in p.contests],
        "slots": [
            {"at": s.at.strftime("%H:%M"), "stations_reported": s.stations,
             "contests": [{"contest": ct.contest.kind.value, "stations": ct.stations, "voters_voted": ct.voted,
                           "voters_on_list": ct.on_list, "turnout_percent": percent_json(ct.percent)}
                          for ct in s.contests]}
            for s in p.slots
        ],
    }


@bp.get("/units/<int:unit_id>")
@roles_required(*READERS)
def unit(unit_id: int) -> Response:
    """One unit's official and provisional result, and its follow-up votes' (webapp.followups)."""
    from webapp.followups import services as followups
    from webapp.followups.api import follow_up_json
    from webapp.followups.rules import short_of_members

    outcome = services.unit_result(db.session, current_user, unit_id, confirmed_only=False)
    body = unit_json(outcome)
    body["follow_ups"] = []
    for f in followups.follow_ups(db.session, outcome.unit.id):
        own = followups.own_result(db.session, current_user, f, confirmed_only=False)
        body["follow_ups"].append({
            "follow_up": follow_up_json(f), "result": unit_json(own),
            "short_of_members": short_of_members(own.official.result) if own.complete else 0})
    return jsonify(body)


@bp.get("/provinces/<int:province_id>")
@roles_required(*READERS)
def province(province_id: int) -> Response:
    """A province's National Assembly and provincial council units."""
    return jsonify(committee_json(services.committee_results(db.session, current_user, province_id=province_id)))


@bp.get("/communes/<int:commune_id>")
@roles_required(*READERS)
def commune(commune_id: int) -> Response:
    """A commune's council units."""
    return jsonify(committee_json(services.committee_results(db.session, current_user, commune_id=commune_id)))


@bp.get("/provinces/<int:province_id>/turnout")
@roles_required(*READERS)
def province_turnout(province_id: int) -> Response:
    """A province's turnout at each report time."""
    return jsonify(turnout_json(progress.turnout_progress(db.session, current_user, province_id=province_id)))


@bp.get("/communes/<int:commune_id>/turnout")
@roles_required(*READERS)
def commune_turnout(commune_id: int) -> Response:
    """A commune's turnout at each report time."""
    return jsonify(turnout_json(progress.turnout_progress(db.session, current_user, commune_id=commune_id)))
