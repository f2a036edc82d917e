"""Leaders' activation codes as data (``issueLeaderCodes``, ``resetLeaderCode``), for sending by SMS, besides the
printed slips (``webapp.accounts.slips``): the same services, scope, roles and audit as the leaders' page.

Codes are stored only as hashes, so they exist only in the answer that issued them: each call issues new codes
(the earlier unused ones stop working), as printing the slips again does. Answers are never cached."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, current_app, jsonify, request
from flask_babel import force_locale
from flask_login import current_user

from webapp import db, scope
from webapp.accounts import admin_services as admin
from webapp.accounts import services
from webapp.accounts.models import Role
from webapp.accounts.services import IssuedCode
from webapp.accounts.slips import group_code
from webapp.api.blueprints import api_blueprint, roles_allowed
from webapp.api.bodies import iso
from webapp.api.problems import ApiError, Problem
from webapp.clock import utcnow
from webapp.elections.models import PollingArea
from webapp.geo.models import Commune
from webapp.i18n import _
from webapp.textnorm import nfc
from webapp.web import local_dt

bp = api_blueprint("accounts_api", __name__, "/api/v1")
MANAGERS = tuple(r for r, managed in admin.MANAGES.items() if Role.LEADER in managed)
CSV_COLUMNS = ("polling_area_code", "polling_area_name", "username", "full_name", "phone", "code", "expires_at",
               "sms")


def _sms(issued: IssuedCode) -> str:
    """The text message for the leader, in Vietnamese as the slips are."""
    with force_locale("vi"):
        return nfc(_("%(area)s: account %(username)s, one-time code %(code)s, valid until %(when)s. Sign in at "
                     "%(url)s and type the code as the password.", area=issued.polling_area.name,
                     username=issued.user.username, code=group_code(issued.code),
                     when=local_dt(issued.user.activation_expires_at), url=current_app.config["PUBLIC_BASE_URL"]))


def code_json(issued: IssuedCode) -> dict[str, Any]:
    area, user = issued.polling_area, issued.user
    return {
        "polling_area": {"id": area.id, "code": area.code, "name": nfc(area.name)}, "username": user.username,
        "full_name": nfc(user.full_name), "phone": user.phone or None, "code": group_code(issued.code),
        "expires_at": iso(user.activation_expires_at), "sms": _sms(issued),
    }


def _wants_csv() -> bool:
    if request.args.get("format") == "csv":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv" and request.accept_mimetypes["text/csv"] > request.accept_mimetypes["application/json"]


def _answer(issued: list[IssuedCode], stem: str) -> Response:
    # The codes are stored (as hashes) before anyone can read them: db.unit_of_work commits before the answer leaves.
    rows = [code_json(i) for i in issued]
    if _wants_csv():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            writer.writerow([r["polling_area"]["code"], r["polling_area"]["name"], r["username"], r["full_name"],
                             r["phone"] or "", r["code"], r["expires_at"], r["sms"]])
        response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")  # the BOM: Excel reads UTF-8
        response.headers["Content-Disposition"] = f'attachment; filename="ma-kich-hoat-{stem}.csv"'
    else:
        response = jsonify({"codes": rows})
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept"
    return response


def _ttl() -> Any:
    return current_app.config["ACTIVATION_CODE_TTL"]


@bp.post("/communes/<int:commune_id>/leader-codes")
@roles_allowed(*MANAGERS)
def issue_leader_codes(commune_id: int) -> Response:
    """Create the commune's missing leader accounts and a new code for every leader not yet activated
    (issueLeaderCodes); JSON, or CSV with ``Accept: text/csv`` or ``?format=csv``."""
    commune = scope.get(db.session, Commune, commune_id, current_user)
    try:
        issued = admin.issue_commune_codes(db.session, actor=current_user, commune=commune, now=utcnow(),
                                           ttl=_ttl())
    except services.DuplicateUsername as exc:
        raise ApiError(409, Problem("duplicate_username", None, {"username": str(exc)})) from None
    except admin.NotAllowed:
        raise ApiError(403, Problem("forbidden")) from None
    return _answer(issued, commune.code)


@bp.post("/stations/<int:area_id>/leader-code")
@roles_allowed(*MANAGERS)
def reset_leader_code(area_id: int) -> Response:
    """A new code for one polling area's leader, even after activation (resetLeaderCode: a lost phone); the old
    password and sessions end, and the caller may no longer review this station's reports (four-eyes)."""
    area = scope.get(db.session, PollingArea, area_id, current_user)
    try:
        issued = admin.reset_leader(db.session, actor=current_user, area=area, now=utcnow(), ttl=_ttl())
    except services.DuplicateUsername as exc:
        raise ApiError(409, Problem("duplicate_username", None, {"username": str(exc)})) from None
    except admin.AccountInactive as exc:
        raise ApiError(409, Problem("account_inactive", None, {"username": str(exc)})) from None
    except admin.NotAllowed:
        raise ApiError(403, Problem("forbidden")) from None
    return _answer([issued], area.code)
