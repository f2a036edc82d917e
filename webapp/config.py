"""Defaults only. The environment overrides them (see ``create_app``)."""

from datetime import timedelta

DEV_SECRET_KEY = "dev-only-secret-change-me"

SECRET_KEY = DEV_SECRET_KEY
# Empty means the SQLite file in instance/; DATABASE_URL in the environment wins.
DATABASE_URL = ""
ENV_NAME = "development"

BABEL_DEFAULT_LOCALE = "vi"
BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
LANGUAGES = ("vi", "en")

# The CSRF token lives as long as the session: a leader may stay offline for hours.
WTF_CSRF_TIME_LIMIT = None
# An election day runs from before 05:00 to after midnight; the session must last through it.
PERMANENT_SESSION_LIFETIME = timedelta(hours=36)
# 36 hours from signing in, not from the last request: a response sets the session cookie only when the session
# changed. Refreshing it on every response let a background request (the service worker's outbox or pre-caching)
# that was in flight during "log out" put the old session back after the logout had deleted it.
SESSION_REFRESH_EACH_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
REMEMBER_COOKIE_DURATION = timedelta(hours=36)

RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
# Per account and per address; see accounts.views.
LOGIN_RATE_LIMIT_ACCOUNT = "10 per 15 minutes"
LOGIN_RATE_LIMIT_ADDRESS = "60 per 15 minutes"

MAX_CONTENT_LENGTH = 12 * 1024 * 1024
IMPORT_MAX_BYTES = 10 * 1024 * 1024
ACTIVATION_CODE_TTL = timedelta(days=14)
PUBLIC_BASE_URL = "http://127.0.0.1:5000"

# Background jobs (imports, exports, the commune's PDF batch): the queue's storage. Empty means a SQLite file in
# instance/ (``make run``); production sets redis://… or postgresql://… (JOBS_QUEUE_URL in the environment).
JOBS_QUEUE_URL = ""
# Where uploads wait and exports are written; empty means instance/jobs (the web app and the consumer share it).
JOBS_DIR = ""
# Seconds between a running job's progress writes, and without one after which its worker is taken for dead.
JOBS_HEARTBEAT = 2
JOBS_STALE_AFTER = 600
