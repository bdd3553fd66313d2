"""Parallel login attempts on one account cannot beat the lockout: 30 threads, each its own connection and
transaction as the app's sessions have, check at most MAX_FAILURES passwords in one lock window, and the right
password is refused while the lock holds (the hostile-input probe saw 75 checks inside one window).

The hashes here are argon2 at its lowest cost, each check held open for as long as a real one takes: the race is
in the lock window around the check, not in the hash, and 33 full-cost hashes per test cost 6 s of CPU."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select

from data_access.records import users
from data_access.storage.schema import users as users_table
from data_access.records.users import LOCK_MINUTES, MAX_FAILURES, REFUSED, add_user, check_password

PASSWORD = "correct-horse-1"
T0 = datetime(2025, 3, 1, 9, 0, 0)
ATTEMPTS = 30
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
CHECK_SECONDS = 0.1  # about what one check with the real hasher takes on an idle machine


def _counting_verify(monkeypatch) -> list:
    """Count the checks against the account's real hash (the dummy one for unknown or locked names is not).
    Installed before the account is added, so that its hash is a cheap one too."""
    monkeypatch.setattr(users, "_hasher", CHEAP)
    monkeypatch.setattr(users, "_DUMMY_HASH", CHEAP.hash("unknown-user"))
    real, dummy, checked, lock = users._verify, users._DUMMY_HASH, [], threading.Lock()

    def verify(password_hash, password):
        if password_hash != dummy:
            with lock:
                checked.append(password)
        time.sleep(CHECK_SECONDS)
        return real(password_hash, password)
    monkeypatch.setattr(users, "_verify", verify)
    return checked


def _attempt(engine, password: str, now: datetime):
    return check_password(engine, "zhang", password, now=now)


def test_parallel_wrong_passwords_check_at_most_five_and_then_lock(engine, monkeypatch):
    engine.dispose()
    checked = _counting_verify(monkeypatch)
    with engine.begin() as conn:
        add_user(conn, "zhang", "staff", password=PASSWORD)
    with ThreadPoolExecutor(ATTEMPTS) as pool:
        answers = list(pool.map(lambda i: _attempt(engine, f"wrong-{i}", T0), range(ATTEMPTS)))
    assert answers == [(None, REFUSED)] * ATTEMPTS
    assert len(checked) == MAX_FAILURES
    with engine.connect() as conn:
        row = conn.execute(select(users_table.c.failed_logins, users_table.c.locked_until)).one()
    assert (row.failed_logins, row.locked_until) == (MAX_FAILURES, T0 + timedelta(minutes=LOCK_MINUTES))
    # the right password during the lock: refused without a check; after it, accepted
    assert _attempt(engine, PASSWORD, T0 + timedelta(minutes=LOCK_MINUTES - 1)) == (None, REFUSED)
    assert len(checked) == MAX_FAILURES
    assert _attempt(engine, PASSWORD, T0 + timedelta(minutes=LOCK_MINUTES))[0].name == "zhang"


def test_a_burst_with_the_right_password_among_wrong_ones_opens_at_most_one_more_window(engine, monkeypatch):
    engine.dispose()
    checked = _counting_verify(monkeypatch)
    with engine.begin() as conn:
        add_user(conn, "zhang", "staff", password=PASSWORD)
    passwords = [f"wrong-{i}" for i in range(15)] + [PASSWORD]
    with ThreadPoolExecutor(len(passwords)) as pool:
        answers = list(pool.map(lambda p: _attempt(engine, p, T0), passwords))
    # One window allows MAX_FAILURES checks; only the right password's success can open a second one (the old
    # read-check-write checked all 16 and counted the 15 failures as 2).
    assert len(checked) <= 2 * MAX_FAILURES
    assert answers[:-1] == [(None, REFUSED)] * 15
    assert answers[-1][0] is not None if PASSWORD in checked else answers[-1] == (None, REFUSED)
    with engine.connect() as conn:
        assert conn.execute(select(users_table.c.failed_logins)).scalar() <= MAX_FAILURES
