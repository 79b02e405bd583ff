"""Parsing of configuration values that must never be guessed, and the reading of secrets.

Settings import this before Django is set up, so it depends on nothing but the standard library
(and Django's ImproperlyConfigured). Secrets are not settings: they are read where they are used
(secret_read), so no settings dump can show them.
"""

import base64
import binascii
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("core.config")

_TRUE = {"true", "1"}
_FALSE = {"false", "0", ""}


def parse_strict_bool(name: str, value: str | None) -> bool:
    """Only the exact strings true/1 and false/0/empty are accepted.

    A switch that enables live trading must fail closed: "TRUE ", "yes!" or "paper" are not
    read as anything, they stop the process with a message that says what to write instead.
    """
    if value is None:
        return False
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be exactly 'true' or 'false' (got {value!r}). "
        f"Fix the value in the environment or .env file; nothing was enabled."
    )


def parse_key_list(name: str, value: str) -> list[str]:
    """Comma-separated Fernet keys, each checked for shape so that a typo stops the process at once."""
    keys = [k.strip() for k in value.split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured(f"{name} is empty: set at least one Fernet key.")
    for position, key in enumerate(keys, start=1):
        try:
            ok = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (ValueError, binascii.Error):
            ok = False
        if not ok:
            raise ImproperlyConfigured(
                f"Key {position} of {name} is not a Fernet key (32 url-safe base64 bytes). Generate one "
                "with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            )
    return keys


def require_secret(name: str) -> None:
    """Production: a secret must be in the environment at boot. Only its presence is checked here;
    the value is read where it is used (secret_read), never kept in settings, so `diffsettings` and
    Django's debug pages cannot show it."""
    if not os.environ.get(name, "").strip():
        raise ImproperlyConfigured(f"Set the {name} environment variable: production has no default for it.")


_generated: dict[Path, str] = {}
_generated_lock = threading.Lock()


def secret_read(name: str, *, filename: str, generate: Callable[[], str], generated_warning: str) -> str:
    """A secret, read where it is used: the environment variable `name` if set; otherwise, in the
    embedded default only, a value generated once into the data folder (`filename`, mode 0600) and
    kept there, with `generated_warning` logged (it may name {path}). Production has no default
    (settings.py checks presence at boot with require_secret).

    The environment is read on every call (cheap; tests and key rotation change it at run time),
    the file once per process.
    """
    value = os.environ.get(name, "").strip()
    if value:
        return value
    from django.conf import settings

    if settings.PRODUCTION:
        raise ImproperlyConfigured(f"Set the {name} environment variable: production has no default for it.")
    path = Path(settings.DATA_DIR) / filename
    with _generated_lock:
        if path not in _generated:
            _generated[path] = _read_or_generate(path, generate, generated_warning)
        return _generated[path]


def _read_or_generate(path: Path, generate: Callable[[], str], generated_warning: str) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = generate()
    # Written whole under a temporary name, then linked into place: a process starting at the same
    # moment never reads a half-written key, and the first link wins.
    tmp = path.parent / f".{path.name}.{os.getpid()}.{threading.get_ident()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        return path.read_text().strip()
    finally:
        tmp.unlink()
    logger.warning(generated_warning.format(path=path))
    return value


AUDIT_HMAC_KEY_MIN_LENGTH = 32
AUDIT_KEY_GENERATED = (
    "Generated a new audit MAC key at {path}. Back it up and keep it off the database host: without it "
    "manage.py verify_audit cannot vouch for the audit trail. In production set AUDIT_HMAC_KEY instead."
)


def parse_audit_hmac_key(value: str) -> bytes:
    """The audit chain's MAC key. Long enough that it cannot be guessed from the MACs it signs."""
    value = (value or "").strip()
    if len(value) < AUDIT_HMAC_KEY_MIN_LENGTH:
        raise ImproperlyConfigured(
            f"AUDIT_HMAC_KEY must be at least {AUDIT_HMAC_KEY_MIN_LENGTH} characters (got {len(value)}). "
            "Generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    return value.encode()


def embedded_audit_hmac_key(data_dir: Path) -> bytes:
    """The embedded default's audit MAC key: generated once into the data folder.

    Losing this file makes every event written so far fail verification, hence the loud warning.
    """
    import secrets

    return parse_audit_hmac_key(
        _read_or_generate(data_dir / "audit_hmac.key", lambda: secrets.token_hex(32), AUDIT_KEY_GENERATED)
    )
