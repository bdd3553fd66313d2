#!/usr/bin/env bash
# The dashboard for many people at once: N app processes (default one per core, at least 2) on 127.0.0.1 behind a
# local nginx with sticky sessions, listening on 127.0.0.1:8501 — README "Deploying behind nginx on an intranet".
# Installs nginx (Debian package) when missing and run as root; nginx itself runs as the calling user, its
# nginx.conf, pid, logs and temp files in data/run/. Ctrl-C or TERM stops everything.
#   scripts/serve.sh [--processes N] [--port 8501] [--base-path jsjb] [--run-dir DIR] [--db URL]
# Settings: SERVE_PROCESSES, SERVE_PORT, SERVE_BASE_PATH, SERVE_RUN_DIR, and the app's own (CASES_DB_URL, AUTH_MODE …).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt.sh
bash scripts/setup_env.sh
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  apt_install nginx || { echo "error: nginx is missing: run as root once, or: sudo apt-get install nginx" >&2; exit 2; }
fi
exec .venv/bin/python cli.py serve "$@"
