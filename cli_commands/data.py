"""Data commands: init-db (import and rejects are added by the importer)."""
from data_access.engine import make_engine, resolve_url
from data_access.migrate import upgrade


def register(sub, shared) -> None:
    p = sub.add_parser("init-db", parents=[shared], help="create or upgrade the schema (never drops data)")
    p.set_defaults(handler=init_db)


def init_db(args) -> int:
    engine = make_engine(args.db)
    revision = upgrade(engine)
    print(f"database ready at schema {revision}: {_safe_url(resolve_url(args.db))}")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)
