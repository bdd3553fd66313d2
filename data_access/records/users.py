"""The app's users: who may sign in, with which role and own unit; local passwords and the lockout.

Every login mode ends here: the name a login proxy, the OIDC provider or the login form gives is looked up in the
users table (`find`), and only an active row with a known role lets anyone in. Local passwords are argon2 hashes;
after `MAX_FAILURES` wrong passwords in a row an account is locked for `LOCK_MINUTES` (`check_password`).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine

from data_access.storage.schema import units, users

ROLES = ("leader", "staff", "unit", "admin")
ROLE_TEXT = {"leader": "领导", "staff": "中心工作人员", "unit": "承办单位", "admin": "系统管理员"}
MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 10
REFUSED = (f"用户名或密码错误；连续输错 {MAX_FAILURES} 次后账号将锁定 {LOCK_MINUTES} 分钟 "
           f"(wrong user name or password; {MAX_FAILURES} failures lock an account for {LOCK_MINUTES} minutes)")
_hasher = PasswordHasher()
# Verified against when the name is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("unknown-user")


class UserError(ValueError):
    """A user that cannot be added or changed as asked (message in Chinese, then English)."""


@dataclass(frozen=True)
class Account:
    name: str
    display_name: str
    role: str
    unit_id: int | None
    active: bool


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _account(row) -> Account:
    return Account(row.name, row.display_name or row.name, row.role, row.unit_id, bool(row.active))


def find(conn: Connection, name: str) -> Account | None:
    """The active user of that name, or None (unknown or disabled)."""
    row = conn.execute(select(users).where(users.c.name == name)).first()
    return _account(row) if row is not None and row.active else None


def _unit_id(conn: Connection, unit: str | None) -> int | None:
    if not unit:
        return None
    found = conn.execute(select(units.c.id).where((units.c.name == unit) | (units.c.code == unit))).scalar()
    if found is None:
        raise UserError(f"找不到单位 {unit!r} (unknown unit)")
    return found


def _check_role(role: str, unit_id: int | None) -> None:
    if role not in ROLES:
        raise UserError(f"角色 {role!r} 无效，应为 {'/'.join(ROLES)} (role must be one of {', '.join(ROLES)})")
    if (role == "unit") != (unit_id is not None):
        raise UserError("unit 角色必须指定所属单位，其他角色不能指定 (a unit user needs --unit; other roles take none)")


def _hash(password: str | None) -> str | None:
    if password is None:
        return None
    if len(password) < MIN_PASSWORD:
        raise UserError(f"密码至少 {MIN_PASSWORD} 位 (password needs at least {MIN_PASSWORD} characters)")
    return _hasher.hash(password)


def add_user(conn: Connection, name: str, role: str, unit: str | None = None, password: str | None = None,
             display_name: str = "") -> Account:
    """A new user; `unit` (name or code) only for role unit; `password` only for local accounts."""
    name = (name or "").strip()
    if not name or len(name) > users.c.name.type.length:
        raise UserError("用户名不能为空，且不超过 128 个字符 (user name empty or too long)")
    if conn.execute(select(users.c.id).where(users.c.name == name)).first() is not None:
        raise UserError(f"用户 {name!r} 已存在 (user already exists)")
    unit_id = _unit_id(conn, unit)
    _check_role(role, unit_id)
    conn.execute(users.insert().values(name=name, display_name=display_name or name, role=role, unit_id=unit_id,
                                       password_hash=_hash(password), active=True, failed_logins=0,
                                       created_at=_now()))
    return Account(name, display_name or name, role, unit_id, True)


def _change(conn: Connection, name: str, **values) -> None:
    if conn.execute(users.update().where(users.c.name == name).values(**values)).rowcount != 1:
        raise UserError(f"找不到用户 {name!r} (unknown user)")


def set_active(conn: Connection, name: str, active: bool) -> None:
    _change(conn, name, active=active)


def reset_password(conn: Connection, name: str, password: str) -> None:
    """A new password; also lifts a lockout."""
    _change(conn, name, password_hash=_hash(password), failed_logins=0, locked_until=None)


def list_users(conn: Connection) -> list[dict]:
    query = (select(users.c.name, users.c.display_name, users.c.role, units.c.name.label("unit_name"),
                    users.c.active, (users.c.password_hash.is_not(None)).label("local_password"),
                    users.c.failed_logins, users.c.locked_until, users.c.last_login_at)
             .join_from(users, units, units.c.id == users.c.unit_id, isouter=True).order_by(users.c.name))
    return [dict(r) for r in conn.execute(query).mappings()]


def check_password(engine: Engine, name: str, password: str, now: datetime | None = None) -> tuple[Account | None, str]:
    """(account, "") when the name and password are right; else (None, REFUSED). At most MAX_FAILURES passwords
    are checked per account and lock window: after that many failures in a row the account is locked for
    LOCK_MINUTES, and a locked account refuses even the right password until the time is up. One answer for a
    wrong name, a wrong password and a lock, each after one password hash, so nothing tells whether a name exists.

    Race-free on every backend: an attempt first claims one of the window's checks in a single UPDATE that tests
    the lock and the count and raises the count, committed before the (slow) hash is checked; only then is the
    outcome written. Parallel attempts cannot lose a count (a read-check-write let 75 checks through one window),
    and no row or database lock is held while a hash is computed."""
    now = now or _now()
    with engine.begin() as conn:
        row = _claim_check(conn, name, now)
    if row is None:
        _verify(_DUMMY_HASH, password)
        return None, REFUSED
    right = _verify(row.password_hash, password)
    with engine.begin() as conn:
        if right:
            conn.execute(update(users).where(users.c.id == row.id).values(failed_logins=0, locked_until=None,
                                                                           last_login_at=now))
        elif row.failed_logins >= MAX_FAILURES:
            conn.execute(update(users).where(users.c.id == row.id)
                         .values(locked_until=now + timedelta(minutes=LOCK_MINUTES)))
    return (_account(row), "") if right else (None, REFUSED)


def _claim_check(conn: Connection, name: str, now: datetime):
    """The user's row with its raised count when one more check is allowed; None when the name is unknown,
    disabled, without a password, or locked. Both statements write first (SQLite: the write lock is taken before
    anything is read, so no stale snapshot can fail to upgrade)."""
    usable = (users.c.name == name, users.c.active.is_(True), users.c.password_hash.is_not(None))
    # A lock that has run out starts a new window.
    conn.execute(update(users).where(*usable, users.c.locked_until <= now).values(failed_logins=0, locked_until=None))
    claimed = conn.execute(update(users).where(*usable, users.c.locked_until.is_(None),
                                               users.c.failed_logins < MAX_FAILURES)
                           .values(failed_logins=users.c.failed_logins + 1)).rowcount == 1
    return conn.execute(select(users).where(users.c.name == name)).first() if claimed else None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
