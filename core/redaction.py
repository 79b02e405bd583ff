"""Keeps secrets out of everything the product writes: logs, audit payloads, errors, outputs.

Two nets: by name (a dict key that names a secret is replaced whatever its value), and by value
(every secret the process has decrypted is registered here and scrubbed from any text).
"""

import functools
import logging
import re
import threading

REDACTED = "[REDACTED]"

SECRET_NAME = re.compile(
    r"(private_?key|secret|password|passwd|licen[cs]e|tiger_?id|token|sign|api_?key|authorization)",
    re.IGNORECASE,
)
# A PEM block, a long base64 run such as an RSA key body or a signature, or a Fernet token (what an
# encrypted field stores: the version byte and a timestamp make every token start with gAAAAA).
_SECRET_TEXT = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----|[A-Za-z0-9+/=]{120,}"
    r"|(?:fernet:)?gAAAAA[A-Za-z0-9_=-]{20,}",
    re.DOTALL,
)

# Shorter secrets are not registered, and every shape above is longer.
_SHORTEST = 6
_known: set[str] = set()
_known_lock = threading.Lock()
_known_pattern: re.Pattern | None = None


def register_secret(value: str | None) -> None:
    """Remember a decrypted secret so that any later text containing it is scrubbed."""
    global _known_pattern
    if not value or len(value) < _SHORTEST:
        return
    with _known_lock:
        if value in _known:
            return
        _known.add(value)
        ordered = sorted(_known, key=len, reverse=True)
        _known_pattern = re.compile("|".join(re.escape(v) for v in ordered))


def scrub_text(text: str) -> str:
    if len(text) < _SHORTEST:  # too short to hold a known secret or any of the shapes
        return text
    # Shapes first: a known value replaced inside a token would leave the rest of the token unmatched.
    text = _SECRET_TEXT.sub(REDACTED, text)
    pattern = _known_pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    return text


def redact(value, key: str | None = None):
    """A copy of a JSON-like value with secrets removed."""
    if key is not None and _names_secret(key):
        return REDACTED if value not in (None, "") else value
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


@functools.lru_cache(maxsize=4096)  # the same few keys in every payload
def _names_secret(key: str) -> bool:
    return bool(SECRET_NAME.search(key)) and not key.endswith(("_fingerprint", "_set"))


class RedactingFilter(logging.Filter):
    """Attached to every handler: the formatted message and traceback are scrubbed."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        record.msg = scrub_text(message)
        record.args = None
        if record.exc_info:
            record.exc_text = scrub_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True

