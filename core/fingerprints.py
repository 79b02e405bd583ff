"""Keyed fingerprints: short tags that tell two secrets apart without revealing them.

A plain hash of a Tiger id (8 digits) is reversed by trying every id in seconds, so every tag is an
HMAC-SHA256 under CREDENTIAL_FINGERPRINT_KEY, a key kept outside the database (read where used, like
every secret: the environment, or in the embedded default a key generated once into the data folder).
Losing that key only changes the tags; nothing becomes unreadable.
"""

import hashlib
import hmac
import secrets

from core.config import secret_read

KEY_GENERATED = (
    "Generated a new credential fingerprint key at {path}. Without it the fingerprints shown for stored "
    "credentials change (nothing is lost)."
)


def _key() -> bytes:
    return secret_read("CREDENTIAL_FINGERPRINT_KEY", filename="fingerprint.key",
                       generate=lambda: secrets.token_urlsafe(32), generated_warning=KEY_GENERATED).encode()


def keyed_digest(purpose: str, value: str) -> str:
    """Hex HMAC of `value`; `purpose` keeps the tags of different uses apart."""
    return hmac.new(_key(), f"{purpose}\0{value}".encode(), hashlib.sha256).hexdigest()


def fingerprint(secret: str | None) -> str:
    """What the admin and audit rows show for a stored credential."""
    if not secret:
        return "—"
    return "hmac:" + keyed_digest("credential", secret)[:12]
