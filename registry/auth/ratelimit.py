"""Sign-in rate limiting per account and per address, shared by every worker process.

Failed attempts are counted over a sliding window (``LOGIN_WINDOW_SECONDS``); an account
with ``LOGIN_MAX_FAILURES_PER_ACCOUNT`` failures, or an address with
``LOGIN_MAX_FAILURES_PER_ADDRESS``, is refused until the window has passed — even with the
right password, so guessing cannot continue. A success clears the account's count.

The counts live in the database (``login_attempts``) or, when ``REDIS_URL`` is set, in
Redis; never in process memory, which each gunicorn worker would hold separately.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from registry.auth.models import LoginAttempt
from registry.extensions import db
from registry.timeutil import utcnow


def _settings() -> tuple[int, int, int]:
    cfg = current_app.config
    return (int(cfg.get("LOGIN_WINDOW_SECONDS", 900)),
            int(cfg.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)),
            int(cfg.get("LOGIN_MAX_FAILURES_PER_ADDRESS", 30)))


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = current_app.extensions.get("registry_redis")
    if client is None:
        import redis  # optional dependency, only when REDIS_URL is set

        client = redis.Redis.from_url(url)
        current_app.extensions["registry_redis"] = client
    return client


def _keys(username: str, address: str) -> tuple[str, str]:
    return f"registry:login:user:{username}", f"registry:login:addr:{address}"


def is_blocked(username: str, address: str) -> bool:
    """Has this account or this address used up its failures in the window?"""
    window, per_account, per_address = _settings()
    client = _redis()
    if client is not None:
        user_key, addr_key = _keys(username, address)
        now = utcnow().timestamp()
        pipe = client.pipeline()
        for key in (user_key, addr_key):
            pipe.zremrangebyscore(key, 0, now - window)
            pipe.zcard(key)
        _, users, _, addresses = pipe.execute()
        return users >= per_account or addresses >= per_address
    since = utcnow() - timedelta(seconds=window)
    failures = select(func.count(LoginAttempt.id)).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since)
    if db.session.scalar(failures.where(LoginAttempt.username == username)) >= per_account:
        return True
    return db.session.scalar(failures.where(LoginAttempt.address == address)) >= per_address


def note_attempt(username: str, address: str, succeeded: bool) -> None:
    """Record an attempt (the caller commits); a success forgets the account's failures."""
    window, _, _ = _settings()
    username, address = (username or "")[:64], (address or "")[:64]
    client = _redis()
    if client is not None:
        user_key, addr_key = _keys(username, address)
        if succeeded:
            client.delete(user_key)
            return
        now = utcnow().timestamp()
        member = f"{now}:{secrets.token_hex(6)}"
        pipe = client.pipeline()
        for key in (user_key, addr_key):
            pipe.zadd(key, {member: now})
            pipe.expire(key, window)
        pipe.execute()
        return
    now = utcnow()
    if succeeded:
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.username == username,
                                                      LoginAttempt.succeeded.is_(False)))
    else:
        db.session.add(LoginAttempt(at=now, username=username, address=address, succeeded=False))
    # Keep the table small: what lies outside every window is of no use.
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(seconds=window * 4)))
