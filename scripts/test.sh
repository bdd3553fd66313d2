#!/usr/bin/env bash
# Install everything the tests need and run them: SQLite, PostgreSQL and MariaDB (127.0.0.1), and the browser.
# Extra arguments go to pytest (e.g. scripts/test.sh -k importer). Two processes (pytest-xdist), each with its own
# server databases; a module stays in one process, so its module-wide fixtures (app servers, browsers) start once.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh dev
bash scripts/system_deps.sh
exec .venv/bin/python -m pytest -n 2 --dist loadscope "$@"
