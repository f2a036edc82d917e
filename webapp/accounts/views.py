"""Sign in, first-time activation, sign out (here or everywhere)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from webapp import db
from webapp.accounts import services
from webapp.accounts.forms import LoginForm, SetPasswordForm
from webapp.accounts.models import User
from webapp.api import tokens
from webapp.audit import services as audit
from webapp.clock import utcnow
from webapp.extensions import limiter
from webapp.htmx import render
from webapp.i18n import _
from webapp.web import client_ip

bp = Blueprint("accounts", __name__)


def _account_key() -> str:
    return "account:" + (request.form.get("username") or "").strip().lower()[:60]


def _failed(response: Response) -> bool:
    return response.status_code != 303


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home.index")


def _start_session(user: User) -> None:
    session.clear()
    session.permanent = True
    login_user(user, remember=False)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_ADDRESS"], methods=["POST"], deduct_when=_failed)
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"], key_func=_account_key, methods=["POST"],
    deduct_when=_failed,
)
def login() -> Response:
    """Sign in with a password, or with the one-time activation code on first use."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"), 303)
    form = LoginForm()
    if form.validate_on_submit():
        now = utcnow()
        result = services.authenticate(db.session, username=form.username.data or "",
                                       secret=form.password.data or "", now=now)
        if result is not None:
            audit.bind(db.session, audit.AuditContext(result.user.id, result.user.username,
                                                      audit.context_of(db.session).channel,
                                                      audit.context_of(db.session).ip))
            if result.needs_password:
                session.clear()
                session["activating_user"] = result.user.get_id()
                db.session.commit()
                return redirect(url_for("accounts.activate"), 303)
            audit.record_event(db.session, action="login", entity_type="users",
                               entity_id=str(result.user.id), place=result.user.audit_place())
            db.session.commit()
            _start_session(result.user)
            return redirect(_safe_next(request.args.get("next")), 303)
        form.password.errors.append(_("Wrong username, password or activation code."))
    return render("accounts/login.html", "accounts/_login_form.html", form=form,
                  status=422 if form.errors else 200)


@bp.route("/activate", methods=["GET", "POST"])
def activate() -> Response:
    """First use: the leader who signed in with a code chooses a password."""
    marker = session.get("activating_user", "")
    ident, _sep, version = marker.partition(":")
    user = db.session.get(User, int(ident)) if ident.isdigit() else None
    if user is None or not user.needs_activation or str(user.session_version) != version:
        flash(_("Sign in with your activation code first."), "info")
        return redirect(url_for("accounts.login"), 303)
    form = SetPasswordForm()
    if form.validate_on_submit():
        audit.bind(db.session, audit.AuditContext(user.id, user.username, audit.context_of(db.session).channel,
                                                  audit.context_of(db.session).ip))
        try:
            services.set_password(db.session, user=user, password=form.password.data or "", now=utcnow())
            services.record_activation(db.session, user=user, ip=client_ip(), now=utcnow())
        except services.WeakPassword:
            form.password.errors.append(_("This password is too easy to guess. Choose another."))
        else:
            db.session.commit()
            _start_session(user)
            flash(_("Your password is set. Welcome!"), "success")
            return redirect(url_for("home.index"), 303)
    return render("accounts/activate.html", "accounts/_activate_form.html", form=form, user=user,
                  status=422 if form.errors else 200)


@bp.post("/logout")
def logout() -> Response:
    """Sign out of this device."""
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"), 303)


@bp.post("/logout-everywhere")
@login_required
def logout_everywhere() -> Response:
    """Sign out of every device this account is signed in on, and revoke the account's API tokens."""
    user = db.session.get(User, current_user.id)
    services.log_out_everywhere(db.session, user=user)
    tokens.revoke_all_of(db.session, user=user, by=user, now=utcnow())
    audit.record_event(db.session, action="logout_everywhere", entity_type="users", entity_id=str(user.id),
                       place=user.audit_place())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out on every device."), "info")
    return redirect(url_for("accounts.login"), 303)
