"""Election-day reporting for Vietnam (bầu cử ĐBQH khóa XVI và HĐND các cấp 2026–2031)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import configure_mappers
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.paths import ROOT  # also for tests and scripts: ``from webapp import ROOT``


class ConfigError(RuntimeError):
    pass


def _from_environment(app: Flask) -> None:
    for name in ("SECRET_KEY", "DATABASE_URL", "RATELIMIT_STORAGE_URI", "PUBLIC_BASE_URL", "JOBS_QUEUE_URL"):
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    if os.environ.get("TRUSTED_PROXIES"):
        app.config["TRUSTED_PROXIES"] = int(os.environ["TRUSTED_PROXIES"])
    if os.environ.get("APP_ENV"):
        app.config["ENV_NAME"] = os.environ["APP_ENV"]
    app.config.from_prefixed_env("WEBAPP")


def _validate(app: Flask) -> None:
    from webapp.config import DEV_SECRET_KEY

    if app.config["ENV_NAME"] == "production":
        if app.config["SECRET_KEY"] in (DEV_SECRET_KEY, "", None) or len(app.config["SECRET_KEY"]) < 32:
            raise ConfigError("Refusing to start in production with a development or short SECRET_KEY.")
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
    )
    app.config.from_object("webapp.config")
    app.config.from_pyfile("config.py", silent=True)
    _from_environment(app)
    if config:
        app.config.update(config)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "translations")
    _validate(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        # The client's address and scheme as the outermost trusted proxy saw them; a header the client
        # wrote itself is never believed, since each trusted proxy appends one entry.
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from webapp import cli, db, errors, i18n, inputs, web
    from webapp.audit import services as audit_services
    from webapp.extensions import babel, csrf, htmx, limiter, login_manager
    from webapp.jobs import queue as jobs_queue

    inputs.init_app(app)  # before any route: the bounded <int:…> converter
    db.init_app(app)
    audit_services.install()
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=lambda: "Asia/Ho_Chi_Minh")
    i18n.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    htmx.init_app(app)
    web.init_app(app)
    jobs_queue.init_app(app)
    # The modules whose job handlers register themselves by name (webapp.jobs.queue knows names, not modules):
    # imported here, so that the consumer runs every task the web workers may send.
    from webapp.jobs import runner  # noqa: F401
    from webapp.results import batch  # noqa: F401
    from webapp.voters import cli as voters_cli  # noqa: F401
    from webapp.voters import imports as voter_imports  # noqa: F401

    from webapp.accounts.admin_views import bp as accounts_admin_bp
    from webapp.accounts.api import bp as accounts_api_bp
    from webapp.accounts.views import bp as accounts_bp
    from webapp.api.admin_views import bp as api_tokens_bp
    from webapp.api.changes import bp as changes_api_bp
    from webapp.api.views import bp as api_bp
    from webapp.audit.views import bp as audit_bp
    from webapp.drills.views import bp as drills_bp
    from webapp.elections.views import bp as elections_bp
    from webapp.followups.api import bp as followups_api_bp
    from webapp.followups.views import bp as followups_bp
    from webapp.home.views import bp as home_bp
    from webapp.members.views import bp as members_bp
    from webapp.hotline.views import bp as hotline_bp
    from webapp.imports.api import bp as imports_api_bp
    from webapp.imports.views import bp as imports_bp
    from webapp.jobs.api import bp as jobs_api_bp
    from webapp.jobs.views import bp as jobs_bp
    from webapp.offline.views import bp as offline_bp
    from webapp.progress.api import bp as progress_api_bp
    from webapp.progress.views import bp as progress_bp
    from webapp.readiness.views import bp as readiness_bp
    from webapp.counting.api import bp as counting_api_bp
    from webapp.counting.views import bp as counting_bp
    from webapp.drillreport.views import bp as drillreport_bp
    from webapp.reports.views import bp as reports_bp
    from webapp.results.api import bp as results_api_bp
    from webapp.results.printing import bp as results_print_bp
    from webapp.results.views import bp as results_bp
    from webapp.review.api import bp as review_api_bp
    from webapp.review.views import bp as review_bp
    from webapp.settings.views import bp as settings_bp
    from webapp.voters.api import bp as voters_api_bp
    from webapp.voters.views import bp as voters_bp
    from webapp.voters.report_views import bp as voter_reports_bp

    for blueprint in (home_bp, accounts_bp, elections_bp, imports_bp, audit_bp, accounts_admin_bp, settings_bp,
                      offline_bp, reports_bp, results_bp, results_print_bp, results_api_bp, progress_bp,
                      progress_api_bp):
        app.register_blueprint(blueprint)
    for blueprint in (api_bp, api_tokens_bp, review_bp, hotline_bp, jobs_bp, jobs_api_bp, review_api_bp,
                      imports_api_bp, accounts_api_bp, changes_api_bp, drills_bp, readiness_bp, drillreport_bp,
                      voters_api_bp, voters_bp, voter_reports_bp, followups_bp, followups_api_bp, members_bp,
                      counting_bp, counting_api_bp):
        app.register_blueprint(blueprint)

    errors.register(app)
    cli.register(app)
    # Every model is imported by now: configure the mappers here, once, so that a fresh process serves its first
    # request (a signed-in user's, after a restart or a worker recycle) exactly as a warm one does.
    configure_mappers()
    db.install_unit_of_work(app)
    from webapp.progress import polling

    polling.install(app)  # a dashboard's poll with nothing new is answered before Flask (issue 14)
    return app
