"""Access commands: `user add/disable/enable/reset/list` (the app's users) and `audit` (the audit log).

Passwords are never taken as arguments (they would land in the shell history): `--password` asks on the terminal,
or reads one line from standard input when it is not a terminal (for scripts). Every change is audited.
"""
import getpass
import sys

from cli_commands.common import CliError, add_format, emit, engine_for, operator_name

# data_access.records.users.ROLES, not imported for --help; a test keeps them equal
ROLES = ("leader", "staff", "unit", "admin")
USER_COLUMNS = ["name", "display_name", "role", "unit_name", "active", "local_password", "failed_logins",
                "locked_until", "last_login_at"]
AUDIT_COLUMNS = ["id", "at", "user_name", "action", "n_rows", "detail"]


def register(sub, shared) -> None:
    p = sub.add_parser("user", help="manage the app's users (AUTH_MODE header / oidc / local)")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    a = actions.add_parser("add", parents=[shared], help="add a user")
    a.add_argument("name", help="login name (header: the proxy's user name; oidc: e-mail; local: account)")
    a.add_argument("--role", choices=ROLES, required=True)
    a.add_argument("--unit", help="own unit (name or code), required for role unit")
    a.add_argument("--display-name", default="")
    a.add_argument("--password", action="store_true", help="set a local password (asked, or one line on stdin)")
    a.set_defaults(handler=add)

    for action, helptext in (("disable", "stop a user from signing in"), ("enable", "let a disabled user in again")):
        d = actions.add_parser(action, parents=[shared], help=helptext)
        d.add_argument("name")
        d.set_defaults(handler=toggle, active=action == "enable")

    r = actions.add_parser("reset", parents=[shared], help="set a new local password (also lifts a lockout)")
    r.add_argument("name")
    r.set_defaults(handler=reset)

    ls = actions.add_parser("list", parents=[shared], help="list users")
    add_format(ls)
    ls.set_defaults(handler=show)

    au = sub.add_parser("audit", parents=[shared], help="show the audit log (imports, undos, exports, changes)")
    au.add_argument("--limit", type=int, default=50)
    au.add_argument("--action", help="only this action (import, export, undo, adjustment, user_add, …)")
    add_format(au)
    au.set_defaults(handler=show_audit)


def _password() -> str:
    if sys.stdin.isatty():
        first, second = getpass.getpass("密码 (password): "), getpass.getpass("再输一次 (again): ")
        if first != second:
            raise CliError("两次输入的密码不一致 (passwords differ)")
        return first
    return sys.stdin.readline().rstrip("\n")


def _run(args, change, action: str, detail: dict) -> int:
    from data_access.records import audit
    from data_access.records.users import UserError
    engine = engine_for(args)
    try:
        audit.with_record(engine, operator_name(), action, detail, change)
    except UserError as exc:
        raise CliError(str(exc)) from exc
    finally:
        engine.dispose()
    print(f"ok: {action} {args.name}")
    return 0


def add(args) -> int:
    from data_access.records.users import add_user
    password = _password() if args.password else None
    return _run(args, lambda c: add_user(c, args.name, args.role, args.unit, password, args.display_name),
                "user_add", {"name": args.name, "role": args.role, "unit": args.unit})


def toggle(args) -> int:
    from data_access.records.users import set_active
    return _run(args, lambda c: set_active(c, args.name, args.active),
                "user_enable" if args.active else "user_disable", {"name": args.name})


def reset(args) -> int:
    from data_access.records.users import reset_password
    password = _password()
    return _run(args, lambda c: reset_password(c, args.name, password), "user_reset", {"name": args.name})


def show(args) -> int:
    from data_access.records.users import list_users
    engine = engine_for(args)
    with engine.connect() as conn:
        rows = list_users(conn)
    engine.dispose()
    emit(rows, USER_COLUMNS, args.format)
    return 0


def show_audit(args) -> int:
    from data_access.records import audit
    if args.limit < 1:
        raise CliError("--limit 应为正整数 (--limit must be positive)")
    engine = engine_for(args)
    with engine.connect() as conn:
        rows = audit.recent(conn, args.limit, action=args.action)
    engine.dispose()
    emit(rows, AUDIT_COLUMNS, args.format)
    return 0
