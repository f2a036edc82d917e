"""Failed sign-ins slow the attacker down and never lock the owner out.

A wrong password counts against the account, against the client's address and, on a device that has signed
in to that account before, against that device alone (OWASP's "device cookie": a signed cookie naming the
account, given at each successful sign-in). Past a free allowance, every further failure makes the next
attempt wait, for a window that doubles with each failure up to a short cap. An attempt made during the wait
is refused at once, without a database read or a password hash, and counts for nothing.

A known device is judged only by its own failures: whoever hammers the account or shares the address cannot
shut it out. Every other attempt waits for both the account's and the address's window, so guessing from
many addresses still meets the account's pace and one address guessing many accounts meets its own.

The counters live in the limiter's storage (memory, or Redis through ``RATELIMIT_STORAGE_URI``, shared by
every worker and node).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits.storage import Storage
from werkzeug.wrappers import Response

from webapp.extensions import limiter

log = logging.getLogger(__name__)
T = TypeVar("T")
DEVICE_COOKIE = "login_device"
_SALT = "login-device"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _fail_open(default: T) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """With its storage unreachable (Redis down) the throttle steps aside: signing in must go on."""

    def decorator(method: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(method)
        def guarded(*args: Any, **kwargs: Any) -> T:
            try:
                return method(*args, **kwargs)
            except Exception:
                log.exception("sign-in throttle: storage unavailable, attempt let through")
                return default

        return guarded

    return decorator


def _wait_after(failures: int, free: int, longest: int) -> int:
    """Seconds to wait after ``failures`` failures: none within the allowance, then 1, 2, 4 … up to
    ``longest``."""
    if failures <= free:
        return 0
    return min(2 ** min(failures - free - 1, 30), longest)


@dataclasses.dataclass(frozen=True)
class Attempt:
    """One sign-in attempt: the account named, the client's address and the device's token if it is known."""

    username: str
    address: str
    device: str | None

    @classmethod
    def of_request(cls, username: str) -> Attempt:
        username = username.strip().lower()[:60]
        device = None
        cookie = request.cookies.get(DEVICE_COOKIE)
        if cookie:
            max_age = current_app.config["LOGIN_DEVICE_LIFETIME"].total_seconds()
            try:
                named, token = _serializer().loads(cookie, max_age=max_age)
            except (BadSignature, ValueError, TypeError):
                named = token = None
            if named == username and isinstance(token, str):
                device = token
        return cls(username=username, address=request.remote_addr or "", device=device)

    def _rules(self) -> list[tuple[str, tuple[int, int]]]:
        config = current_app.config
        if self.device is not None:
            return [(f"device:{self.device}", config["LOGIN_THROTTLE_DEVICE"])]
        return [(f"account:{self.username}", config["LOGIN_THROTTLE_ACCOUNT"]),
                (f"address:{self.address}", config["LOGIN_THROTTLE_ADDRESS"])]

    @_fail_open(0)
    def wait(self) -> int:
        """Seconds before this attempt may be tried; 0 means go ahead."""
        storage = _storage()
        now = time.time()
        waits = [storage.get_expiry(_key("wait", name)) - now
                 for name, _rule in self._rules() if storage.get(_key("wait", name))]
        return max((math.ceil(w) for w in waits if w > 0), default=0)

    @_fail_open(None)
    def failed(self) -> None:
        storage = _storage()
        window = int(current_app.config["LOGIN_THROTTLE_WINDOW"].total_seconds())
        for name, (free, longest) in self._rules():
            failures = storage.incr(_key("failures", name), window)
            seconds = _wait_after(failures, free, longest)
            if seconds:
                storage.incr(_key("wait", name), seconds)

    def succeeded(self, response: Response) -> None:
        """The account's failures are forgotten (the address's are not: an attacker may own an account too),
        and this device is known to the account from now on, under a new token."""
        remember_device(response, self.username)
        self._forget_failures()

    @_fail_open(None)
    def _forget_failures(self) -> None:
        storage = _storage()
        storage.clear(_key("failures", f"account:{self.username}"))
        storage.clear(_key("wait", f"account:{self.username}"))
        if self.device is not None:
            storage.clear(_key("failures", f"device:{self.device}"))
            storage.clear(_key("wait", f"device:{self.device}"))


def remember_device(response: Response, username: str) -> None:
    """Give the browser the device cookie of ``username`` (read only by the sign-in form)."""
    config = current_app.config
    value = _serializer().dumps([username.strip().lower(), secrets.token_urlsafe(16)])
    response.set_cookie(DEVICE_COOKIE, value, max_age=int(config["LOGIN_DEVICE_LIFETIME"].total_seconds()),
                        path="/login", secure=config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax")


def _storage() -> Storage:
    return limiter.storage


def _key(kind: str, name: str) -> str:
    return f"{current_app.config.get('RATELIMIT_KEY_PREFIX') or ''}login/{kind}/{name}"
