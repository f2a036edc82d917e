"""Production server settings: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Two cores: two sync workers with threads beat more workers (see docs/toolchain measurements)."""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
graceful_timeout = 30
keepalive = 5
max_requests = 20000
max_requests_jitter = 2000
accesslog = "-"
errorlog = "-"
# gunicorn believes X-Forwarded-Proto from these addresses only; it never rewrites the client's address. The app
# reads that from X-Forwarded-For through TRUSTED_PROXIES (README, configuration), which the sign-in throttle needs.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
