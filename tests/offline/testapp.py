"""A test-only form for the outbox machinery (registered in the offline tests' own app, never in the real one):
marked ``data-offline``, a server-filled ``client_uuid``, idempotent like the real reports (the same uuid
answers the first result), 422 when ``voters`` is not a whole number >= 0, 409 (refused for good, with the sentence
in ``X-Outbox-Message``) when it is "locked"."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

bp = Blueprint("offline_test", __name__, url_prefix="/_test",
               template_folder=str(Path(__file__).resolve().parent / "templates"))


@dataclass
class Received:
    """What the test form's server side received: rows by client_uuid, and every POST seen."""

    rows: dict[str, dict[str, str]] = field(default_factory=dict)
    posts: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.rows.clear()
            self.posts.clear()


RECEIVED = Received()
LOCKED = "Xã đã xác nhận biên bản này nên không thể gắn thêm ảnh. Nếu cần bổ sung ảnh, hãy đề nghị xã mở lại biên bản."


def _render(values: dict[str, str], error: str | None, status: int) -> Response:
    html = render_template("offline_test/form.html", values=values, error=error)
    return Response(html, status, mimetype="text/html")


@bp.get("/form")
@login_required
def form() -> Response:
    """The test form (a server-filled client_uuid, like the real report forms)."""
    return _render({"client_uuid": str(uuid.uuid4()), "slot": request.args.get("slot", ""), "voters": ""}, None, 200)


@bp.post("/form")
@login_required
def submit() -> Response:
    """Idempotent by client_uuid; 422 re-renders the form with the values sent."""
    values = {k: request.form.get(k, "") for k in ("client_uuid", "slot", "voters")}
    with RECEIVED.lock:
        RECEIVED.posts.append(values["client_uuid"])
        if values["client_uuid"] in RECEIVED.rows:
            return redirect(url_for("offline_test.done", uuid=values["client_uuid"]), 303)
        if values["voters"] == "locked":  # refused for good, as a photo for minutes confirmed meanwhile
            # Like the real photo page then: the sentence, and no form to fix.
            response = Response(f'<main id="main"><p class="error">{LOCKED}</p></main>', 409, mimetype="text/html")
            response.headers["X-Outbox-Message"] = quote(LOCKED)
            return response
        if not values["voters"].isdigit():
            return _render(values, "voters must be a whole number", 422)
        RECEIVED.rows[values["client_uuid"]] = {**values, "user": str(current_user.id)}
    flash("Đã nhận báo cáo thử " + values["slot"], "success")
    return redirect(url_for("offline_test.done", uuid=values["client_uuid"]), 303)


@bp.get("/done")
@login_required
def done() -> Response:
    """Where a successful submission lands."""
    return Response(render_template("offline_test/done.html"), 200, mimetype="text/html")
