"""Personal API tokens at ``/api-tokens``: issue one for one's own account (its secret shown once), list them,
revoke one. The national administrator and provincial committees also see and revoke the tokens of the accounts
in their scope. A token acts as its owner's account with the same role and area."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp import db
from webapp.api import tokens
from webapp.api.forms import ApiTokenForm, IntegrationTokenForm
from webapp.clock import utcnow
from webapp.htmx import render
from webapp.i18n import _
from webapp.web import roles_required

bp = Blueprint("api_tokens", __name__, url_prefix="/api-tokens")


def _reason(reason: str) -> str:
    return {
        "name_length": lambda: _("Say what the token is for (at most 100 characters)."),
        "unknown_integration": lambda: _("No integration account with this username in your area."),
        "inactive_user": lambda: _("This account is deactivated."),
        "scopes_required": lambda: _("Tick at least one thing it may read."),
        "expiry_required": lambda: _("Choose when the token stops working (at most a year)."),
    }[reason]()


def _page(form: ApiTokenForm, *, secret: str | None = None, issued: tokens.ApiToken | None = None,
          status: int = 200, integration_form: IntegrationTokenForm | None = None) -> Response:
    rows = tokens.list_tokens(db.session, actor=current_user, include_revoked=True)
    if integration_form is None and current_user.role in tokens.OVERSEERS:
        integration_form = IntegrationTokenForm(formdata=None)
    response = render("api/tokens.html", "api/_tokens.html", form=form, rows=rows, secret=secret, issued=issued,
                      now=utcnow(), status=status, integration_form=integration_form)
    if secret:
        response.headers["Cache-Control"] = "no-store"  # the secret exists only in this answer
    return response


def _issued(form: ApiTokenForm | IntegrationTokenForm,
            issue: Callable[[], tokens.IssuedToken]) -> tokens.IssuedToken | None:
    """Run ``issue``: 403 where it is not allowed, the reason on its field where the form is refused."""
    try:
        return issue()
    except tokens.NotAllowed:
        abort(403)
    except tokens.InvalidToken as exc:
        getattr(form, exc.field).errors.append(_reason(exc.reason))
        return None


@bp.get("/")
@login_required
def index() -> Response:
    """One's own API tokens (and those of the accounts in scope), and the form to issue one."""
    return _page(ApiTokenForm())


@bp.post("/")
@login_required
def issue() -> Response:
    """Issue a token for one's own account and show its secret once (the database keeps only its hash, so no
    redirect). A ``username`` sent along names nobody: a token never acts as another person."""
    form = ApiTokenForm()
    if form.validate_on_submit():
        ttl = None if form.expires.data == "never" else timedelta(days=int(form.expires.data or 30))
        issued = _issued(form, lambda: tokens.issue_token(
            db.session, actor=current_user, name=form.name.data or "", ttl=ttl, now=utcnow()))
        if issued is not None:
            return _page(ApiTokenForm(formdata=None), secret=issued.secret, issued=issued.token)
    return _page(form, status=422)


@bp.post("/integration")
@roles_required(*tokens.OVERSEERS)
def issue_integration() -> Response:
    """Issue a token for an integration account, with its scopes and expiry; its secret is shown once."""
    form = IntegrationTokenForm()
    if form.validate_on_submit():
        issued = _issued(form, lambda: tokens.issue_integration_token(
            db.session, actor=current_user, username=form.username.data or "", name=form.name.data or "",
            scopes=list(form.scopes.data or []), ttl=timedelta(days=int(form.expires.data or 30)), now=utcnow()))
        if issued is not None:
            return _page(ApiTokenForm(formdata=None), secret=issued.secret, issued=issued.token)
    return _page(ApiTokenForm(formdata=None), status=422, integration_form=form)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> Response:
    """Revoke a token at once: every request carrying it is refused from now on."""
    token = tokens.revoke_token(db.session, actor=current_user, token_id=token_id, now=utcnow())
    flash(_("The token “%(name)s” of %(user)s is revoked.", name=token.name, user=token.user.username), "success")
    return redirect(url_for(".index"), 303)
