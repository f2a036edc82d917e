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

# How many reverse proxies in front of the app to believe about the client's address (X-Forwarded-For) and
# scheme; 0 believes none. Set it to the number of proxies that add the header (nginx alone: 1).
TRUSTED_PROXIES = 0

RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
# Failed sign-ins (see accounts.throttle): (failures allowed, longest wait in seconds) per account, per
# client address and per device that signed in to the account before; failures are forgotten after the window.
LOGIN_THROTTLE_ACCOUNT = (5, 10)
LOGIN_THROTTLE_ADDRESS = (20, 60)
LOGIN_THROTTLE_DEVICE = (10, 60)
LOGIN_THROTTLE_WINDOW = timedelta(minutes=15)
LOGIN_DEVICE_LIFETIME = timedelta(days=90)

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

# The API's changes feed holds back writes younger than this many seconds: on PostgreSQL a slower transaction can
# commit an audit id below one already read, and a cursor must never move past it.
CHANGES_SETTLE_SECONDS = 5
