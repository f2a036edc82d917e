"""Account management within one's scope: the leaders' accounts of a commune with their activation slips,
the list of accounts, one account's page and the creation of officials' accounts."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp import db, scope
from webapp.accounts import admin_services as admin
from webapp.accounts import services, slips
from webapp.accounts.forms import AccountForm
from webapp.accounts.models import Role, User
from webapp.api import tokens
from webapp.clock import utcnow
from webapp.elections import services as elections
from webapp.elections.models import PollingArea
from webapp.errors import render_error
from webapp.geo.models import Commune, Province
from webapp.htmx import render
from webapp.i18n import _
from webapp.inputs import parse_int
from webapp.web import ROLE_LABELS, roles_required

bp = Blueprint("accounts_admin", __name__, url_prefix="/accounts")
MANAGERS = (Role.ADMIN, Role.PROVINCE, Role.COMMUNE)


@bp.errorhandler(admin.NotAllowed)
def _not_allowed(_exc: admin.NotAllowed) -> Response:
    return render_error(403)


@bp.errorhandler(admin.AccountInactive)
def _inactive(exc: admin.AccountInactive) -> Response:
    return render_error(
        409,
        _("The account %(name)s is deactivated: reactivate it before printing a new slip.", name=str(exc)),
    )


def _ttl() -> timedelta:
    return current_app.config["ACTIVATION_CODE_TTL"]


def _report_times(province_id: int | None) -> list[str]:
    try:
        election = elections.current_election(db.session)
    except elections.NoElection:
        return []
    return [f"{t.at:%H:%M}" for t in elections.report_times(db.session, election, province_id)]


def _commune(value: str | None) -> Commune | None:
    """The commune asked for by id (a commune official's own by default), loaded within scope or 404."""
    if value and parse_int(value) is None:
        abort(404)
    ident = parse_int(value) or (current_user.commune_id if current_user.role is Role.COMMUNE else None)
    return None if not ident else scope.get(db.session, Commune, ident, current_user)


# --- the leaders of a commune ------------------------------------------------------------------------------


@bp.get("/leaders")
@roles_required(*MANAGERS)
def leaders() -> Response:
    """A commune's polling areas with their leaders' accounts; higher levels first pick the commune."""
    commune = _commune(request.args.get("commune"))
    if commune is None:
        query = request.args.get("q", "")[:100]
        communes = admin.communes_for_leaders(db.session, user=current_user, query=query)
        return render(
            "accounts/leaders.html",
            "accounts/_leader_communes.html",
            commune=None,
            communes=communes,
            query=query,
        )
    return _leaders_page(commune)


def _leaders_page(commune: Commune, status: int = 200, error: str = "") -> Response:
    rows = admin.leader_rows(db.session, user=current_user, commune=commune, now=utcnow())
    counts = {state: sum(1 for r in rows if r.state is state) for state in admin.LeaderState}
    return render(
        "accounts/leaders.html",
        "accounts/_leaders.html",
        commune=commune,
        rows=rows,
        counts=counts,
        States=admin.LeaderState,
        error=error,
        status=status,
    )


@bp.post("/leaders")
@roles_required(*MANAGERS)
def print_slips() -> Response:
    """Create the missing leader accounts, renew every unused code, and answer with the sheet of slips."""
    commune = _commune(request.form.get("commune"))
    if commune is None:
        abort(404)
    try:
        issued = admin.issue_commune_codes(
            db.session, actor=current_user, commune=commune, now=utcnow(), ttl=_ttl()
        )
    except services.DuplicateUsername as exc:
        db.session.rollback()
        return _leaders_page(
            commune,
            409,
            _(
                "The username %(name)s is already used by another account. "
                "Ask the administrator to rename it.",
                name=str(exc),
            ),
        )
    if not issued:
        flash(_("Every leader has already activated their account: there is no slip to print."), "info")
        return redirect(url_for(".leaders", commune=commune.id), 303)
    pdf = slips.render_pdf(
        [slips.leader_slip(i) for i in issued],
        heading=commune.name,
        report_times=_report_times(commune.province_id),
    )
    # The one kind of POST that answers with content instead of a 303: the codes are stored only as hashes,
    # so the sheet can exist only in this response.
    return slips.pdf_response(pdf, f"phieu-kich-hoat-{commune.code}.pdf")


@bp.post("/leaders/<int:area_id>/reset")
@roles_required(*MANAGERS)
def reset_leader(area_id: int) -> Response:
    """A new code for one polling area's leader (lost phone, forgotten password), as a one-slip sheet."""
    area = scope.get(db.session, PollingArea, area_id, current_user)
    issued = admin.reset_leader(db.session, actor=current_user, area=area, now=utcnow(), ttl=_ttl())
    pdf = slips.render_pdf(
        [slips.leader_slip(issued)], heading=area.code, report_times=_report_times(area.province_id)
    )
    # Answers with the PDF, not a 303: the new code exists only in this response.
    return slips.pdf_response(pdf, f"phieu-kich-hoat-{area.code}.pdf")


# --- the accounts in scope ---------------------------------------------------------------------------------


def _role(value: str | None) -> Role | None:
    try:
        return Role(value) if value else None
    except ValueError:
        return None


@bp.get("/")
@roles_required(*MANAGERS)
def index() -> Response:
    """Accounts in scope, searchable by username, name or phone, and filtered by role."""
    query = request.args.get("q", "")[:100]
    role = _role(request.args.get("role"))
    after = request.args.get("after", "")[:60]
    page = admin.search_accounts(db.session, user=current_user, query=query, role=role, after=after)
    return render(
        "accounts/index.html",
        "accounts/_account_list.html",
        result=page,
        query=query,
        role=role,
        after=after,
        can_create=bool(admin.CREATES.get(current_user.role)),
    )


@bp.get("/<int:user_id>")
@roles_required(*MANAGERS)
def detail(user_id: int) -> Response:
    """One account: its place, state and the actions the viewer may take on it."""
    account = scope.get(db.session, User, user_id, current_user)
    return render(
        "accounts/detail.html",
        "accounts/_account_detail.html",
        account=account,
        can_manage=admin.may_manage(current_user, account),
        now=utcnow(),
    )


def _account_for_change(user_id: int) -> User:
    account = scope.get(db.session, User, user_id, current_user)
    if not admin.may_manage(current_user, account):
        abort(403)
    return account


def _changed(account: User, message: str) -> Response:
    flash(message, "success")
    return redirect(url_for(".detail", user_id=account.id), 303)


def _set_active(user_id: int, *, active: bool) -> Response:
    account = _account_for_change(user_id)
    admin.set_active(db.session, actor=current_user, user=account, active=active)
    if active:
        return _changed(account, _("The account %(name)s is active again.", name=account.username))
    return _changed(account, _("The account %(name)s is deactivated.", name=account.username))


@bp.post("/<int:user_id>/deactivate")
@roles_required(*MANAGERS)
def deactivate(user_id: int) -> Response:
    """Block an account: it can no longer sign in and its sessions end."""
    return _set_active(user_id, active=False)


@bp.post("/<int:user_id>/reactivate")
@roles_required(*MANAGERS)
def reactivate(user_id: int) -> Response:
    """Allow a deactivated account to sign in again."""
    return _set_active(user_id, active=True)


@bp.post("/<int:user_id>/logout-everywhere")
@roles_required(*MANAGERS)
def logout_everywhere(user_id: int) -> Response:
    """End every session of this account, on every device, and revoke its API tokens."""
    account = _account_for_change(user_id)
    admin.log_out_account(db.session, actor=current_user, user=account)
    tokens.revoke_all_of(db.session, user=account, by=current_user, now=utcnow())
    return _changed(account, _("Every session of %(name)s has ended.", name=account.username))


@bp.post("/<int:user_id>/activation")
@roles_required(*MANAGERS)
def new_activation(user_id: int) -> Response:
    """Replace the account's password by a new one-time code, answered as a one-slip sheet."""
    account = _account_for_change(user_id)
    if account.role is Role.LEADER and account.polling_area is not None:
        issued = admin.reset_leader(
            db.session, actor=current_user, area=account.polling_area, now=utcnow(), ttl=_ttl()
        )
        slip = slips.leader_slip(issued)
    else:
        code = admin.issue_activation_code(
            db.session, actor=current_user, user=account, now=utcnow(), ttl=_ttl()
        )
        slip = slips.account_slip(account, code, str(ROLE_LABELS[account.role]))
    pdf = slips.render_pdf([slip], heading=account.username, report_times=_report_times(account.province_id))
    # Answers with the PDF, not a 303: the new code exists only in this response.
    return slips.pdf_response(pdf, f"phieu-kich-hoat-{account.username}.pdf")


# --- creating officials' accounts --------------------------------------------------------------------------

_REASONS = {
    "bad_username": lambda: _("3 to 60 characters: lower-case letters, digits, dot, dash or underscore."),
    "leader_username": lambda: _("Names like to01-26743 are kept for polling team leaders."),
    "taken": lambda: _("This username is already taken."),
    "bad_phone": lambda: _("Enter a phone number of 8 to 15 digits."),
    "unknown_commune": lambda: _("No commune with this code in your area."),
    "unknown_province": lambda: _("Choose a province in your area."),
    "province_required": lambda: _("Choose the province."),
}


def _account_form() -> AccountForm:
    form = AccountForm()
    form.role.choices = [(r.value, str(ROLE_LABELS[r])) for r in admin.CREATES[current_user.role]]
    provinces = db.session.scalars(scope.select(Province, current_user).order_by(Province.name)).all()
    form.province_id.choices = (
        [("", _("Whole country (hotline or integration only)"))] if current_user.role is Role.ADMIN else []
    )
    form.province_id.choices += [(str(p.id), p.name) for p in provinces]
    # A provincial committee creates accounts in its own province only; the field is not shown to it.
    form.province_id.validate_choice = current_user.role is Role.ADMIN
    return form


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.PROVINCE)
def new() -> Response:
    """Create an official's account; its activation slip is then printed from the account's page."""
    form = _account_form()
    if form.validate_on_submit():
        data = admin.NewAccount(
            username=form.username.data or "",
            full_name=form.full_name.data or "",
            phone=form.phone.data or "",
            role=Role(form.role.data),
            province_id=int(form.province_id.data) if (form.province_id.data or "").isdigit() else None,
            commune_code=form.commune_code.data or "",
        )
        try:
            account = admin.create_account(db.session, actor=current_user, data=data, now=utcnow())
        except admin.InvalidAccount as exc:
            getattr(form, exc.field).errors.append(_REASONS[exc.reason]())
        else:
            flash(
                _("Account %(name)s created. Print its activation slip below.", name=account.username),
                "success",
            )
            return redirect(url_for(".detail", user_id=account.id), 303)
    invalid = any(f.errors for f in form)
    return render(
        "accounts/new.html", "accounts/_account_form.html", form=form, status=422 if invalid else 200
    )
