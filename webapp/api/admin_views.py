"""Personal API tokens at ``/api-tokens``: issue one (its secret shown once), list them, revoke one.

The national administrator manages tokens for every account; a provincial election committee for the accounts
of its province. A token acts as its account with the same role and area."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp import db
from webapp.accounts.models import Role
from webapp.api import tokens
from webapp.api.forms import ApiTokenForm
from webapp.clock import utcnow
from webapp.htmx import render
from webapp.i18n import _
from webapp.web import roles_required

bp = Blueprint("api_tokens", __name__, url_prefix="/api-tokens")


def _reason(reason: str) -> str:
    return {
        "name_length": lambda: _("Say what the token is for (at most 100 characters)."),
        "unknown_user": lambda: _("No account with this username in your area."),
        "inactive_user": lambda: _("This account is deactivated."),
    }[reason]()


def _page(form: ApiTokenForm, *, secret: str | None = None, issued: tokens.ApiToken | None = None,
          status: int = 200) -> Response:
    rows = tokens.list_tokens(db.session, actor=current_user, include_revoked=True)
    response = render("api/tokens.html", "api/_tokens.html", form=form, rows=rows, secret=secret, issued=issued,
                      now=utcnow(), status=status)
    if secret:
        response.headers["Cache-Control"] = "no-store"  # the secret exists only in this answer
    return response


@bp.get("/")
@roles_required(Role.ADMIN, Role.PROVINCE)
def index() -> Response:
    """The API tokens of the accounts in scope, and the form to issue one."""
    return _page(ApiTokenForm())


@bp.post("/")
@roles_required(Role.ADMIN, Role.PROVINCE)
def issue() -> Response:
    """Issue a token and show its secret once (the database keeps only its hash, so no redirect)."""
    form = ApiTokenForm()
    if form.validate_on_submit():
        ttl = None if form.expires.data == "never" else timedelta(days=int(form.expires.data or 30))
        try:
            issued = tokens.issue_token(db.session, actor=current_user, username=form.username.data or "",
                                        name=form.name.data or "", ttl=ttl, now=utcnow())
        except tokens.InvalidToken as exc:
            getattr(form, exc.field).errors.append(_reason(exc.reason))
        else:
            db.session.commit()
            return _page(ApiTokenForm(formdata=None), secret=issued.secret, issued=issued.token)
    return _page(form, status=422)


@bp.post("/<int:token_id>/revoke")
@roles_required(Role.ADMIN, Role.PROVINCE)
def revoke(token_id: int) -> Response:
    """Revoke a token at once: every request carrying it is refused from now on."""
    try:
        token = tokens.revoke_token(db.session, actor=current_user, token_id=token_id, now=utcnow())
    except tokens.NotAllowed:
        abort(403)
    db.session.commit()
    flash(_("The token “%(name)s” of %(user)s is revoked.", name=token.name, user=token.user.username), "success")
    return redirect(url_for(".index"), 303)
