#!/usr/bin/env bash
# Runs every test: once on SQLite, then again on PostgreSQL. With CI=true the browser and PostgreSQL are
# required (installed or started if missing); without CI a missing one is skipped with a message.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"

if [[ "${CI:-}" == "true" ]]; then
  need=()
  command -v chromium >/dev/null || need+=(chromium)
  command -v pdftoppm >/dev/null || need+=(poppler-utils)
  dpkg -s libharfbuzz-subset0 >/dev/null 2>&1 || need+=(libharfbuzz-subset0)
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)   # tests/test_two_nodes.py
  if (( ${#need[@]} )); then
    echo "Installing ${need[*]} from Debian…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  # The README's production section (tests/test_production_readme.py) runs with Redis.
  if ! "$BIN/python" -c "import redis; redis.Redis(host='127.0.0.1', socket_connect_timeout=2).ping()" 2>/dev/null; then
    command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  fi
fi

"$BIN/python" scripts/i18n.py check
WORKERS="${TEST_WORKERS:-2}"

echo "== Tests on SQLite =="
"$BIN/pytest" -n "$WORKERS" -p no:cacheprovider "$@"

if "$BIN/python" -c "import sys, psycopg; psycopg.connect(sys.argv[1].replace('+psycopg', ''), connect_timeout=3).close()" "$PG_URL" 2>/dev/null; then
  echo "== Tests on PostgreSQL =="
  # Tests marked no_database (pure rules, template lint) or sqlite_only (SQLite's own locking, on files of their
  # own) ran above and would run the same here: once is enough.
  TEST_DATABASE_URL="$PG_URL" "$BIN/pytest" -n "$WORKERS" -p no:cacheprovider -m "not no_database and not sqlite_only" "$@"
elif [[ "${CI:-}" == "true" ]]; then
  echo "PostgreSQL is required in CI but not reachable at $PG_URL" >&2
  exit 1
else
  echo "SKIPPED: PostgreSQL not reachable at $PG_URL; the PostgreSQL run was not done."
fi
