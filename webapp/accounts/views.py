"""Sign in, first-time activation, sign out (here or everywhere)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from webapp import db
from webapp.accounts import services, throttle
from webapp.accounts.forms import LoginForm, SetPasswordForm
from webapp.accounts.models import User
from webapp.api import tokens
from webapp.audit import services as audit
from webapp.clock import utcnow
from webapp.htmx import render
from webapp.i18n import _
from webapp.urls import safe_next
from webapp.web import client_ip

bp = Blueprint("accounts", __name__)


def _start_session(user: User) -> None:
    """A new server-side session, named in the audit context. Committed with the request: if that commit fails,
    the cookie ``_sign_in`` set names no session, so the device is simply not signed in."""
    services.start_session(db.session, user=user, now=utcnow(),
                           lifetime=current_app.config["PERMANENT_SESSION_LIFETIME"], ip=client_ip(),
                           user_agent=request.user_agent.string)
    audit.bind(db.session, audit.AuditContext(user.id, user.username, audit.context_of(db.session).channel,
                                              audit.context_of(db.session).ip, session_id=user.session_id))


def _sign_in(user: User) -> None:
    session.clear()
    session.permanent = True
    login_user(user, remember=False)


def _activation_marker(user: User) -> str:
    # A new code (a reset) sets a new expiry: a marker of the code before no longer matches.
    expires = user.activation_expires_at
    return f"{user.id}:{expires.timestamp() if expires else ''}"


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response:
    """Sign in with a password, or with the one-time activation code on first use."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"), 303)
    form = LoginForm()
    if form.validate_on_submit():
        attempt = throttle.Attempt.of_request(form.username.data or "")
        if wait := attempt.wait():
            form.password.errors.append(
                _("Too many failed sign-ins. Wait %(seconds)s seconds and try again.", seconds=wait))
            response = render("accounts/login.html", "accounts/_login_form.html", form=form, status=429)
            response.headers["Retry-After"] = str(wait)
            return response
        now = utcnow()
        result = services.authenticate(db.session, username=form.username.data or "",
                                       secret=form.password.data or "", now=now)
        if result is not None:
            audit.bind(db.session, audit.AuditContext(result.user.id, result.user.username,
                                                      audit.context_of(db.session).channel,
                                                      audit.context_of(db.session).ip))
            if result.needs_password:
                session.clear()
                session["activating_user"] = _activation_marker(result.user)
                response = redirect(url_for("accounts.activate"), 303)
                attempt.succeeded(response)
                return response
            _start_session(result.user)
            audit.record_event(db.session, action="login", entity_type="users",
                               entity_id=str(result.user.id), place=result.user.audit_place())
            _sign_in(result.user)
            response = redirect(safe_next(request.args.get("next")), 303)
            attempt.succeeded(response)
            return response
        attempt.failed()
        form.password.errors.append(_("Wrong username, password or activation code."))
    return render("accounts/login.html", "accounts/_login_form.html", form=form,
                  status=422 if form.errors else 200)


@bp.route("/activate", methods=["GET", "POST"])
def activate() -> Response:
    """First use: the leader who signed in with a code chooses a password."""
    marker = session.get("activating_user", "")
    ident = marker.partition(":")[0]
    user = db.session.get(User, int(ident)) if ident.isdigit() else None
    if user is None or not user.needs_activation or _activation_marker(user) != marker:
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
            form.password.errors.append(_(
                "This password is too easy to guess: it has repeated or consecutive characters, a keyboard row, "
                "a common word or your username. Choose a longer one, for example three words you will "
                "remember with a number."))
        else:
            _start_session(user)
            _sign_in(user)
            flash(_("Your password is set. Welcome!"), "success")
            response = redirect(url_for("home.index"), 303)
            throttle.remember_device(response, user.username)
            return response
    return render("accounts/activate.html", "accounts/_activate_form.html", form=form, user=user,
                  status=422 if form.errors else 200)


@bp.post("/logout")
def logout() -> Response:
    """Sign out of this device: its session ends on the server too (a copied cookie stops working)."""
    if current_user.is_authenticated and current_user.session_id is not None:
        services.end_session(db.session, session_id=current_user.session_id, now=utcnow())
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
    logout_user()
    session.clear()
    flash(_("You have signed out on every device."), "info")
    return redirect(url_for("accounts.login"), 303)
