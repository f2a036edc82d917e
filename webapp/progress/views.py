"""Progress pages: the nation, a province, a commune; the corrections feed; XLSX exports.

The page's fragment polls itself every 20 s with the version token of what it shows (``v``): when nothing
changed the answer is 204 (htmx does not swap) after two small queries; the page and fragment also carry an
ETag and Last-Modified so that a conditional request answers 304. When the snapshot is stale, the first reader
refreshes it after its response has been sent (``refresh_after``), never while the reader waits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from webapp import db, scope
from webapp.clock import reporting_now, utcnow
from webapp.elections import working
from webapp.htmx import is_fragment_request, render
from webapp.i18n import _
from webapp.inputs import query_int
from webapp.labels import CONTEST_SHORT
from webapp.progress import cache, chart, feed, polling, refresh, services, xlsx
from webapp.progress.models import RefreshState
from webapp.progress.refresher import run_refresh
from webapp.web import roles_required

bp = Blueprint("progress", __name__, url_prefix="/progress")

READERS = polling.READERS
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _register_cli(state: object) -> None:
    from webapp.progress import cli, tracking

    tracking.install()
    state.app.cli.add_command(cli.rebuild_progress)  # type: ignore[attr-defined]
    state.app.cli.add_command(cli.progress_refresher)  # type: ignore[attr-defined]


bp.record_once(_register_cli)


def setting(name: str, default: float) -> float:
    return float(current_app.config.get(name, default))


def refresh_after(response: Response, election_id: int, now: datetime) -> None:
    """When the snapshot is stale, refresh it once this response has gone out (unless a ``flask
    progress-refresher`` process does it: ``PROGRESS_REFRESH_AFTER_RESPONSE`` false)."""
    if not current_app.config.get("PROGRESS_REFRESH_AFTER_RESPONSE", True):
        return
    # Staleness on the wall clock, not the reports' clock: frozen by REPORTING_CLOCK_OVERRIDE, that one would
    # never let the snapshot age, and progress would refresh once per server start.
    ttl = timedelta(seconds=setting("PROGRESS_REFRESH_SECONDS", 10))
    if refresh.is_stale(db.session, db.session.get(RefreshState, election_id), utcnow(), ttl):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        bound = working.bound_to(db.session)
        response.call_on_close(lambda: run_refresh(app, utcnow, bound))


def _token(poll: polling.PollState) -> str:
    return polling.version_token(current_app.secret_key or "", poll, scope.Scope.of(current_user), str(get_locale()),
                                 request.path, request.args.items(multi=True))


def conditional(view: Callable[[str], Response], place: tuple[str, int] = polling.NATION) -> Response:
    """Answer 204 to a poll whose version is current, 304 to a matching conditional request, else the view. What
    decides it is one statement (``polling.poll_state``), with the version of the page's own ``place``. Most polls
    answered 204 never get here: the quick poll (``polling.QuickPoll``) answers them before Flask; those that do
    are the ones it leaves to Flask."""
    now = reporting_now()
    poll = polling.poll_state(db.session, now, place)
    token = _token(poll)
    fragment = is_fragment_request()
    etag = f"{token}-f" if fragment else token  # the page and its fragment differ
    modified = poll.modified
    if request.args.get("v") == token and fragment:
        response = Response(status=204)
    elif request.if_none_match.contains_weak(etag) or (
            not request.if_none_match and modified and request.if_modified_since
            and request.if_modified_since >= modified.replace(microsecond=0)):
        response = Response(status=304)
    else:
        response = view(token)
    polling.headers_of(response, token, poll, fragment=fragment)
    refresh_after(response, poll.election_id, now)
    return response


def shown_contest() -> int | None:
    """The contest asked for (``?contest=``), else the first one: the page shows one contest at a time."""
    ids = [c.id for c in services.contests_of(db.session)]
    wanted = query_int("contest")
    return wanted if wanted in ids else (ids[0] if ids else None)


def _selected(p: services.PlaceProgress) -> tuple[int | None, time | None]:
    wanted = query_int("contest")
    contest = next((c.id for c in p.contests if c.id == wanted), p.contests[0].id if p.contests else None)
    at = request.args.get("at", "")
    chosen = next((t for t in p.times if t.strftime("%H:%M") == at), None) or p.current_time()
    return contest, chosen


def _page(build: Callable[[], services.PlaceProgress], token: str) -> Response:
    """The page around the fragment; the fragment is rendered once per version of its place and language: the
    token is all it depends on (``polling.version_token``), so a kept fragment is never another node's stale one."""
    size = int(current_app.config.get("PROGRESS_FRAGMENT_CACHE", 0 if current_app.testing else cache.DEFAULT_SIZE))
    cached = cache.get(token) if size else None
    if cached is None:
        p = build()
        cached = (Markup(render_template("progress/_place.html", **_context(p, token))), p.name or _("Whole country"))
        if size:
            cache.put(token, *cached, size)
    return render("progress/place.html", "progress/_cached.html", html=cached[0], title=cached[1])


def _context(p: services.PlaceProgress, token: str) -> dict[str, object]:
    contest_id, at = _selected(p)
    # The route's own values win over query names that collide with them (?province_id=…).
    poll = url_for(request.endpoint or "progress.index", **{**request.args.to_dict(), **(request.view_args or {}),
                                                           "v": token})
    latest = feed.corrections(db.session, current_user, limit=5,
                              province_id=p.province.id if p.province else None,
                              commune_id=p.commune.id if p.commune else None)
    series = p.figures.series(contest_id) if contest_id else []

    parents: list[tuple[str, str]] = []  # the levels above that the user may open
    if p.level != "nation" and current_user.province_id is None:
        parents.append((url_for("progress.index", contest=contest_id), _("Whole country")))
    if p.level == "commune" and current_user.commune_id is None and p.province is not None:
        parents.append((url_for("progress.province", province_id=p.province.id, contest=contest_id),
                        p.province.name))

    # One url_for per kind of link, not per row: the id is put into a pattern.
    child_endpoint = {"nation": ("progress.province", "province_id"), "province": ("progress.commune", "commune_id"),
                      "commune": ("reports.history", "area_id")}[p.level]
    child_pattern = url_for(child_endpoint[0], **{child_endpoint[1]: 987654321})

    def child_url(ident: int) -> str:
        return child_pattern.replace("987654321", str(ident)) + (
            f"?contest={contest_id}" if contest_id and p.level != "commune" else "")

    def link(**changes: object) -> str:
        return url_for(request.endpoint or "progress.index", **(request.view_args or {}), **changes)

    return {"p": p, "contest_id": contest_id, "at": at, "link": link, "child_url": child_url, "parents": parents,
            "poll_url": poll, "poll_seconds": int(setting("PROGRESS_POLL_SECONDS", 20)), "feed": latest,
            "chart": chart.turnout_chart(series, p.now), "CONTEST_SHORT": CONTEST_SHORT}


@bp.get("/")
@roles_required(*READERS)
def index() -> Response:
    """The user's own level: the nation for national users, else their province or commune."""
    kept = {name: request.args[name] for name in ("contest", "at") if name in request.args}
    if current_user.commune_id is not None:
        return redirect(url_for("progress.commune", commune_id=current_user.commune_id, **kept), 303)
    if current_user.province_id is not None:
        return redirect(url_for("progress.province", province_id=current_user.province_id, **kept), 303)
    services.nation_place(current_user)
    return conditional(lambda token: _page(
        lambda: services.nation_progress(db.session, current_user, reporting_now(), shown_contest()), token))


@bp.get("/provinces/<int:province_id>")
@roles_required(*READERS)
def province(province_id: int) -> Response:
    """A province's progress and its communes."""
    services.province_place(db.session, current_user, province_id)
    return conditional(lambda token: _page(lambda: services.province_progress(
        db.session, current_user, province_id, reporting_now(), shown_contest()), token), ("province", province_id))


@bp.get("/communes/<int:commune_id>")
@roles_required(*READERS)
def commune(commune_id: int) -> Response:
    """A commune's progress and each of its stations."""
    services.commune_place(db.session, current_user, commune_id)
    return conditional(lambda token: _page(lambda: services.commune_progress(
        db.session, current_user, commune_id, reporting_now(), shown_contest()), token), ("commune", commune_id))


@bp.get("/corrections")
@roles_required(*READERS)
def corrections() -> Response:
    """Every change that lowered or withdrew numbers, newest first, inside the user's place."""
    province_id = query_int("province")
    commune_id = query_int("commune")
    if province_id is not None:
        scope.get(db.session, services.Province, province_id, current_user)
    if commune_id is not None:
        scope.get(db.session, services.Commune, commune_id, current_user)
    rows = feed.corrections(db.session, current_user, province_id=province_id, commune_id=commune_id,
                                limit=500)
    return render("progress/corrections.html", "progress/_corrections.html", feed=rows,
                  CONTEST_SHORT=CONTEST_SHORT)


def _download(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/export.xlsx")
@roles_required(*READERS)
def export_nation() -> Response:
    """The nation's progress as XLSX."""
    p = services.nation_progress(db.session, current_user, reporting_now())
    return _download(xlsx.workbook(p), f"tien-do-toan-quoc-{p.now:%Y%m%d-%H%M}.xlsx")


@bp.get("/provinces/<int:province_id>/export.xlsx")
@roles_required(*READERS)
def export_province(province_id: int) -> Response:
    """A province's progress as XLSX."""
    p = services.province_progress(db.session, current_user, province_id, reporting_now())
    return _download(xlsx.workbook(p), f"tien-do-tinh-{p.province.code}-{p.now:%Y%m%d-%H%M}.xlsx")


@bp.get("/communes/<int:commune_id>/export.xlsx")
@roles_required(*READERS)
def export_commune(commune_id: int) -> Response:
    """A commune's progress as XLSX."""
    p = services.commune_progress(db.session, current_user, commune_id, reporting_now())
    return _download(xlsx.workbook(p), f"tien-do-xa-{p.commune.code}-{p.now:%Y%m%d-%H%M}.xlsx")


def _vietnamese() -> bool:
    if "pg_vi" not in g:
        g.pg_vi = str(get_locale() or "vi").startswith("vi")
    return bool(g.pg_vi)


@bp.app_template_filter("pg_num")
def pg_num(value: int | None) -> str:
    """Digits grouped as the interface language does (1.234 / 1,234), without Babel's per-call cost."""
    if value is None:
        return ""
    text = f"{value:,}"
    return text.replace(",", ".") if _vietnamese() else text


@bp.app_template_global("pg_pct")
def pg_pct(value: object) -> str:
    """A display percentage with two decimals in the interface language ("—" when there is none)."""
    from webapp.results.rules import format_decimal_percent

    return format_decimal_percent(value, locale="vi" if _vietnamese() else "en")  # type: ignore[arg-type]


@bp.app_template_global("pg_pct_of")
def pg_pct_of(part: int, whole: int) -> str:
    from webapp.results.rules import percent

    return pg_pct(percent(part, whole))
