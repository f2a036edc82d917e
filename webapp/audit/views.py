"""The audit log (nhật ký): who changed what, when and from where, within the reader's scope."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp import db, scope
from webapp.accounts.models import Role
from webapp.audit import browse
from webapp.audit.forms import AuditFilterForm
from webapp.audit.models import AuditEntry, Channel
from webapp.htmx import render
from webapp.inputs import query_int
from webapp.web import roles_required

bp = Blueprint("audit", __name__, url_prefix="/audit")
READERS = (Role.ADMIN, Role.PROVINCE, Role.COMMUNE)
KNOWN_ACTIONS = tuple(browse.ACTION_LABELS)


def _labels() -> dict[str, dict[str, str]]:
    return {
        "action": {k: str(v) for k, v in browse.ACTION_LABELS.items()},
        "entity": {k: str(v) for k, v in browse.ENTITY_LABELS.items()},
        "channel": {c.value: browse.channel_label(c) for c in Channel},
    }


@bp.get("/")
@roles_required(*READERS)
def index() -> Response:
    """Entries in scope, newest first, filtered, one page at a time."""
    form = AuditFilterForm(request.args)
    valid = form.validate()
    filters = form.to_filter() if valid else browse.AuditFilter()
    page = browse.browse(
        db.session, user=current_user, filters=filters, before=query_int("before"), after=query_int("after")
    )
    return render(
        "audit/index.html",
        "audit/_entries.html",
        form=form,
        result=page,
        args=form.query_args(),
        diff=browse.diff,
        actions=KNOWN_ACTIONS,
        labels=_labels(),
        status=200 if valid else 422,
    )


@bp.get("/<int:entry_id>")
@roles_required(*READERS)
def entry(entry_id: int) -> Response:
    """One entry with its before and after side by side."""
    found = scope.get(db.session, AuditEntry, entry_id, current_user)
    places = browse.places_of(db.session, [found])
    return render(
        "audit/entry.html",
        "audit/_entry.html",
        entry=found,
        rows=browse.diff(found),
        place=places.get(found.id, ""),
        labels=_labels(),
    )
