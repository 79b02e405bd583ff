"""The audit chain's MAC key, read where it is used.

Not a settings attribute, so no settings dump (`diffsettings`, a debug page) can show it. Production
reads AUDIT_HMAC_KEY from the environment (the settings refuse to boot without it); the embedded
default generates one into the data folder, as it does the field encryption key.
"""

import os
import threading

from django.conf import settings

from core.redaction import register_secret
from core.config import embedded_audit_hmac_key, parse_audit_hmac_key

_cache: dict[tuple, bytes] = {}
_lock = threading.Lock()


def audit_mac_key() -> bytes:
    value = os.environ.get("AUDIT_HMAC_KEY", "")
    source = ("env", value) if value or settings.PRODUCTION else ("file", settings.DATA_DIR)
    key = _cache.get(source)
    if key is None:
        with _lock:
            key = parse_audit_hmac_key(value) if source[0] == "env" else embedded_audit_hmac_key(settings.DATA_DIR)
            register_secret(key.decode())
            _cache[source] = key
    return key
