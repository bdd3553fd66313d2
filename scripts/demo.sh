#!/usr/bin/env bash
# Install, build the demo district (first run only) and start the dashboard on http://127.0.0.1:8501
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
.venv/bin/python cli.py init-db
if ! .venv/bin/python -c "
import sys
from data_access.storage.engine import make_engine
from sqlalchemy import text
with make_engine().connect() as c:
    sys.exit(0 if c.execute(text('select count(*) from cases')).scalar() else 1)"; then
  .venv/bin/python cli.py seed-demo
fi
exec .venv/bin/streamlit run app.py --server.address "${HOST:-127.0.0.1}" --server.port "${PORT:-8501}"
