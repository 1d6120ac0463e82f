"""Passwords, the API token, login throttling and the request guard's decision.

Passwords are hashed with scrypt (memory-hard) and a per-password salt. Hashes written
by the original system (Werkzeug's ``scrypt:`` and ``pbkdf2:`` formats) are verified
too, so a migrated owner keeps their password; they are re-hashed on the next login.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import logging
import os
import secrets
import string
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seccam_core.contributions import SettingsSection
from seccam_core.dashboard import BUNDLE
from seccam_core.media_links import MediaLinks
from seccam_core.settings import SettingsStore

log = logging.getLogger(__name__)

SECTION = "Auth"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
FIRST_PASSWORD_FILE = "first-password.txt"  # noqa: S105 (a file name)
"""In the data folder, mode 0600: the generated first password, removed at the first
successful login (or when the password is set). Never printed, never logged."""
# Control characters, invisible format characters (zero-width space, bidi marks) and
# line/paragraph separators: a password a person cannot see or type back.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
API_EXEMPT_PATHS = frozenset({"/auth/status", "/auth/validate", "/openapi.json"})
EXEMPT_PATHS = API_EXEMPT_PATHS | BUNDLE.paths
"""The only paths served without a token: three API routes, the dashboard page ``/``
and each of its files by its exact path. Plugins cannot add to it."""

AUTH_SECTION = SettingsSection(
    name=SECTION,
    description="Authentication: on by default; the token and password hash never leave the store.",
    schema={
        "type": "object",
        "properties": {
            "enabled": {"type": "boolean", "description": "Require the token on every "
                        "route but /auth/status, /auth/validate, /openapi.json and the "
                        "dashboard's page and files."},
            "token": {"type": "string"},
            "password_hash": {"type": "string"},
        },
        "required": ["enabled"],
        "additionalProperties": False,
    },
    defaults={"enabled": True, "token": "", "password_hash": ""},
    secret_fields=frozenset({"token", "password_hash"}),
)

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` with a fresh 16-byte salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check against any hash format seccam or the original wrote."""
    if not stored or not isinstance(password, str):
        return False
    try:
        if stored.startswith("scrypt$"):
            _, cost, block, parallel, salt, digest = stored.split("$")
            expected = _unb64(digest)
            actual = hashlib.scrypt(
                password.encode(), salt=_unb64(salt), n=int(cost), r=int(block),
                p=int(parallel),
                dklen=len(expected), maxmem=2**27,
            )
            return hmac.compare_digest(actual, expected)
        method, salt_text, hex_digest = stored.split("$", 2)
        parts = method.split(":")
        if parts[0] == "scrypt":  # Werkzeug: scrypt:N:r:p$salt$hex
            n, r, p = (int(x) for x in parts[1:4])
            actual = hashlib.scrypt(
                password.encode(), salt=salt_text.encode(), n=n, r=r, p=p, maxmem=2**27,
                dklen=len(hex_digest) // 2,
            )
        elif parts[0] == "pbkdf2":  # Werkzeug: pbkdf2:sha256:iterations$salt$hex
            actual = hashlib.pbkdf2_hmac(
                parts[1], password.encode(), salt_text.encode(), int(parts[2])
            )
        else:
            return False
        return hmac.compare_digest(actual.hex(), hex_digest)
    except (ValueError, TypeError, IndexError):
        log.error("the stored password hash has an unknown format")
        return False


def password_problem(password: object, field: str = "password") -> str | None:
    """Why ``password`` cannot be a password, never quoting it; ``None`` if it can."""
    if not isinstance(password, str):
        return f"{field}: the password must be text"
    if len(password) < MIN_PASSWORD_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        return (f"{field}: the password must have {MIN_PASSWORD_LENGTH} to "
                f"{MAX_PASSWORD_LENGTH} characters")
    if not password.strip():
        return f"{field}: the password must not be blank"
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in password):
        return f"{field}: the password must not hold control or invisible characters"
    return None


def new_token() -> str:
    """32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def new_password(length: int = 16) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def tokens_match(given: str | None, expected: str) -> bool:
    """Constant time, and safe for any text a client sends (non-ASCII included)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode())


@dataclass
class ThrottleDecision:
    allowed: bool
    retry_after: int = 0


class LoginThrottle:
    """At most ``limit`` failed logins per client address in ``window`` seconds."""

    def __init__(
        self, limit: int = 5, window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, collections.deque[float]] = {}

    def check(self, client: str) -> ThrottleDecision:
        failures = self._recent(client)
        if len(failures) < self.limit:
            return ThrottleDecision(True)
        retry = int(failures[0] + self.window - self._clock()) + 1
        return ThrottleDecision(False, max(retry, 1))

    def reserve(self, client: str) -> ThrottleDecision:
        """Count an attempt as failed *before* the password is hashed.

        Concurrent attempts each take a slot at once, so no more than ``limit`` hash
        checks run per window however many arrive together. :meth:`succeeded` clears
        the client's record; a failure simply keeps its slot.
        """
        decision = self.check(client)
        if decision.allowed:
            self.failed(client)
        return decision

    def failed(self, client: str) -> None:
        self._recent(client).append(self._clock())

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)

    def _recent(self, client: str) -> collections.deque[float]:
        failures = self._failures.setdefault(client, collections.deque())
        horizon = self._clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if len(self._failures) > 10_000:  # bound memory against address spraying
            for key in [k for k, v in self._failures.items() if not v][:5_000]:
                del self._failures[key]
        return failures


class AuthService:
    """The ``Auth`` section's owner: token, password, and whether the guard is on."""

    def __init__(self, store: SettingsStore) -> None:
        self.store = store
        self.throttle = LoginThrottle()
        self.links = MediaLinks(lambda: self.token)

    @property
    def first_password_file(self) -> Path:
        """Where a generated first password waits for its owner (see FIRST_PASSWORD_FILE)."""
        return self.store.path.parent / FIRST_PASSWORD_FILE

    @property
    def enabled(self) -> bool:
        return bool(self.store.value(SECTION, "enabled", True))

    @property
    def token(self) -> str:
        return str(self.store.value(SECTION, "token", ""))

    def ensure_token(self) -> str:
        if not self.token:
            self.store.update({SECTION: {"token": new_token()}}, trusted=True)
        return self.token

    def ensure_password(self) -> str | None:
        """Generate a password if none is set, into the 0600 first-password file.

        Returns it (once) so tests can log in; the console only names the file, since
        under systemd the console is the journal, which is kept on disk.
        """
        if self.store.value(SECTION, "password_hash"):
            return None
        password = new_password()
        target = self.first_password_file
        temp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # whatever the umask or a leftover said
            os.write(fd, (password + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
        self.store.update({SECTION: {"password_hash": hash_password(password)}}, trusted=True)
        return password

    def forget_first_password(self) -> None:
        """Remove the first-password file: its password was used, or replaced."""
        try:
            self.first_password_file.unlink()
        except FileNotFoundError:
            return
        log.info("the generated first password was used: %s removed", FIRST_PASSWORD_FILE)

    def token_valid(self, given: str | None) -> bool:
        return tokens_match(given, self.token)

    def check_password(self, password: str) -> bool:
        stored = str(self.store.value(SECTION, "password_hash", ""))
        ok = verify_password(password, stored)
        if ok and not stored.startswith("scrypt$"):
            self.set_password(password)  # upgrade a migrated hash
        return ok

    def set_password(self, password: str) -> None:
        self.store.update({SECTION: {"password_hash": hash_password(password)}}, trusted=True)
        self.forget_first_password()

    def regenerate_token(self) -> str:
        self.store.update({SECTION: {"token": new_token()}}, trusted=True)
        return self.token
