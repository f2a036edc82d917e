"""One place decides whether a request gets a whole page or a fragment."""

from typing import Any

from flask import Response, get_flashed_messages, make_response, render_template, request


def is_fragment_request() -> bool:
    return is_fragment(request.headers)


def is_fragment(headers: Any) -> bool:
    """htmx asking for the fragment itself (not a boosted page, a history restore or a full reload); also the
    quick poll's test, before Flask (``webapp.progress.polling``)."""
    return (
        headers.get("HX-Request") == "true"
        and "HX-Boosted" not in headers
        and "HX-History-Restore-Request" not in headers
        and headers.get("HX-Request-Type") != "full"
    )


def render(page: str, fragment: str, status: int = 200, **context: Any) -> Response:
    """Render ``page`` or just ``fragment`` of the same context; always ``Vary: HX-Request``."""
    if is_fragment_request():
        body = render_template(fragment, **context)
        # Flashes would otherwise be consumed unseen; send them out of band.
        if get_flashed_messages():
            body += render_template("_flash.html", oob=True)
    else:
        body = render_template(page, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    if status >= 400 and request.method != "GET" and request.headers.get("HX-Boosted"):
        # A refused boosted form stays at the address of the page it came from: htmx would push the form's action,
        # which may answer POST only, and a reload would then say 405 (issue 16 §3).
        response.headers["HX-Push-Url"] = "false"
    return response
