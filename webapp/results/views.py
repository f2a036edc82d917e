"""Results pages: the committee's overview, one unit's result, the turnout progress, and their XLSX exports."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response
from flask_login import current_user

from webapp import db, scope
from webapp.accounts.models import Role
from webapp.clock import utcnow
from webapp.elections.models import ElectoralUnit
from webapp.followups import services as followups
from webapp.followups.rules import short_of_members
from webapp.followups.words import KIND_LABELS
from webapp.geo.models import Province
from webapp.members.services import runs_unit
from webapp.htmx import render
from webapp.labels import CONTEST_SHORT
from webapp.results import progress, services, xlsx
from webapp.results.rules import format_percent, format_valid_invalid
from webapp.web import roles_required

bp = Blueprint("results", __name__, url_prefix="/results")

READERS = (Role.COMMUNE, Role.PROVINCE, Role.ADMIN, Role.HOTLINE)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.app_template_filter("vnum")
def vnum(value: int | None) -> str:
    """Digits grouped the Vietnamese way (1.234.567) whatever the interface language: the forms' numbers."""
    return "" if value is None else f"{value:,}".replace(",", ".")


@bp.app_template_global("result_pct")
def result_pct(part: int, whole: int) -> str:
    """A display percentage in the interface language (two decimals, never used to decide)."""
    from flask_babel import get_locale

    return format_percent(part, whole, locale=str(get_locale() or "vi"))


@bp.app_template_global("result_shares")
def result_shares(valid: int, invalid: int, received: int) -> tuple[str, str]:
    """Valid and invalid ballots in per cent of those received, adding to exactly 100 % (the NEC's rule)."""
    from flask_babel import get_locale

    return format_valid_invalid(valid, invalid, received, locale=str(get_locale() or "vi"))


def download(body: bytes, filename: str, mimetype: str = XLSX) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _higher(results: services.CommitteeResults) -> services.CommitteeResults:
    """The National Assembly and provincial units the commune's polling areas vote in."""
    assert results.commune is not None
    return services.committee_results(db.session, current_user, province_id=results.province.id,
                                      voted_in_by=results.commune.id)


def _committee_page(results: services.CommitteeResults, higher: services.CommitteeResults | None = None) -> Response:
    return render("results/committee.html", "results/_committee.html", results=results, higher=higher)


@bp.get("/")
@roles_required(*READERS)
def index() -> Response:
    """The results of the user's own committee, or the list of provinces for national users."""
    user = current_user
    if user.commune_id is not None:
        results = services.committee_results(db.session, user, commune_id=user.commune_id)
        return _committee_page(results, _higher(results))
    if user.province_id is not None:
        return _committee_page(services.committee_results(db.session, user, province_id=user.province_id))
    provinces = db.session.scalars(
        scope.select(Province, user)
        .where(Province.id.in_(sa.select(ElectoralUnit.province_id)))
        .order_by(Province.code)
    ).all()
    return render("results/index.html", "results/_index.html", provinces=provinces)


@bp.get("/provinces/<int:province_id>")
@roles_required(*READERS)
def province(province_id: int) -> Response:
    """A province's National Assembly and provincial council units, with completeness and winners."""
    return _committee_page(services.committee_results(db.session, current_user, province_id=province_id))


@bp.get("/communes/<int:commune_id>")
@roles_required(*READERS)
def commune(commune_id: int) -> Response:
    """A commune's council units, and the higher units its polling areas vote in."""
    results = services.committee_results(db.session, current_user, commune_id=commune_id)
    return _committee_page(results, _higher(results))


# A province's page and a commune's are one view each, under two addresses (and endpoints): the services take
# either place.
@bp.get("/provinces/<int:province_id>/results.xlsx", endpoint="province_xlsx")
@bp.get("/communes/<int:commune_id>/results.xlsx", endpoint="commune_xlsx")
@roles_required(*READERS)
def committee_xlsx(province_id: int | None = None, commune_id: int | None = None) -> Response:
    """The units and candidates of a province (NA, provincial council) or a commune (its council) as a workbook."""
    results = services.committee_results(db.session, current_user, province_id=province_id, commune_id=commune_id)
    place = results.commune or results.province
    return download(xlsx.committee_workbook(results), f"ket-qua-{place.code}.xlsx")


@bp.get("/units/<int:unit_id>")
@roles_required(*READERS)
def unit(unit_id: int) -> Response:
    """One unit's result: totals, votes and % of valid ballots, winners and flags, provisional figures apart."""
    outcome = services.unit_result(db.session, current_user, unit_id, confirmed_only=False)
    stations = services.unit_stations(db.session, current_user, outcome.unit)
    found = followups.follow_ups(db.session, outcome.unit.id)
    called = (runs_unit(current_user, outcome.unit)
              and followups.plan(db.session, current_user, outcome.unit).kind is not None)
    return render("results/unit.html", "results/_unit.html", o=outcome, stations=stations,
                  follow_up_called=called,
                  follow_ups=[(f, followups.own_result(db.session, current_user, f)) for f in found],
                  FOLLOW_UP_LABELS=KIND_LABELS, follow_up_short=short_of_members,
                  may_edit_signers=runs_unit(current_user, outcome.unit))


@bp.get("/units/<int:unit_id>/results.xlsx")
@roles_required(*READERS)
def unit_xlsx(unit_id: int) -> Response:
    """One unit's result, candidates and stations as a workbook."""
    outcome = services.unit_result(db.session, current_user, unit_id, confirmed_only=False)
    stations = services.unit_stations(db.session, current_user, outcome.unit)
    return download(xlsx.unit_workbook(outcome, stations), f"ket-qua-{outcome.unit.code}.xlsx")


@bp.get("/provinces/<int:province_id>/turnout", endpoint="province_turnout")
@bp.get("/communes/<int:commune_id>/turnout", endpoint="commune_turnout")
@roles_required(*READERS)
def turnout(province_id: int | None = None, commune_id: int | None = None) -> Response:
    """Turnout progress of a province or a commune at each report time."""
    found = progress.turnout_progress(db.session, current_user, province_id=province_id, commune_id=commune_id)
    level, place_id = ("communes", commune_id) if commune_id is not None else ("provinces", province_id)
    return render("results/turnout.html", "results/_turnout.html", g=found, level=level, place_id=place_id,
                  now=utcnow(), CONTEST_SHORT=CONTEST_SHORT)


@bp.get("/provinces/<int:province_id>/turnout.xlsx", endpoint="province_turnout_xlsx")
@bp.get("/communes/<int:commune_id>/turnout.xlsx", endpoint="commune_turnout_xlsx")
@roles_required(*READERS)
def turnout_xlsx(province_id: int | None = None, commune_id: int | None = None) -> Response:
    """A province's or a commune's turnout progress as a workbook."""
    found = progress.turnout_progress(db.session, current_user, province_id=province_id, commune_id=commune_id)
    return download(xlsx.turnout_workbook(found), f"tien-do-{(found.commune or found.province).code}.xlsx")
