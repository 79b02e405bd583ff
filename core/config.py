"""Parsing of configuration values that must never be guessed.

Settings import this before Django is set up, so it depends on nothing but the standard library.
"""

import logging
import os
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
    keys = [k.strip() for k in value.split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured(f"{name} is empty: set at least one Fernet key.")
    return keys


def embedded_field_key(data_dir: Path) -> str:
    """The embedded default's encryption key: generated once into the data folder.

    Losing this file makes every stored credential unreadable, hence the loud warning.
    """
    from cryptography.fernet import Fernet

    path = data_dir / "field_encryption.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    logger.warning(
        "Generated a new credential encryption key at %s. Back it up: without it the stored "
        "Tiger credentials cannot be decrypted. In production set FIELD_ENCRYPTION_KEYS instead.",
        path,
    )
    return key


AUDIT_HMAC_KEY_MIN_LENGTH = 32


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

    path = data_dir / "audit_hmac.key"
    if path.exists():
        return parse_audit_hmac_key(path.read_text())
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Written whole under a temporary name, then linked into place: a process starting at the same
    # moment never reads a half-written key, and the first link wins.
    tmp = data_dir / f".audit_hmac.key.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        return parse_audit_hmac_key(path.read_text())
    finally:
        tmp.unlink()
    logger.warning(
        "Generated a new audit MAC key at %s. Back it up and keep it off the database host: without it "
        "manage.py verify_audit cannot vouch for the audit trail. In production set AUDIT_HMAC_KEY instead.",
        path,
    )
    return key.encode()
