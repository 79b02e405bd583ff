"""The RSA private keys the tigeropen SDK can sign with.

Checked when a key is saved (TigerAccount.clean) and before a broker client is built: a key that does
not parse would otherwise be stored, and every later call would fail inside the SDK's signing step.
The SDK takes the base64 body of a DER key (PKCS#1 or PKCS#8), decodes it and signs with
PKCS#1 v1.5 / SHA-1 (tigeropen.common.util.signature_utils); this module does the same.
"""

import base64
import binascii
import re

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ACCEPTED_FORMATS = (
    "Accepted: an unencrypted RSA private key of at least 1024 bits, in PEM "
    "(PKCS#1, whose header line says RSA PRIVATE KEY, or PKCS#8, whose header says PRIVATE KEY) or as the "
    "base64 body of either without the BEGIN/END lines (as Tiger's developer page gives it)."
)
NOT_USABLE = "This is not a usable RSA private key: {why}. " + ACCEPTED_FORMATS

_PEM = re.compile(r"-----BEGIN [A-Z ]*-----|-----END [A-Z ]*-----|\s+")
MIN_BITS = 1024


def normalize_private_key(value: str) -> str:
    """The SDK takes a key body without PEM markers (PKCS#1 or PKCS#8); accept a pasted PEM too."""
    return _PEM.sub("", value or "")


def private_key_problem(value: str) -> str | None:
    """Why the SDK could not sign with this key, in words for the person who pasted it; None if it can.
    Never quotes the key."""
    body = normalize_private_key(value)
    if not body:
        return "it is empty"
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return "it is not PEM or base64 text"
    try:
        key = serialization.load_der_private_key(der, password=None)
    except TypeError:
        return "it is encrypted with a password; export it without one"
    except (ValueError, UnsupportedAlgorithm):
        return "it does not parse as a private key"
    if not isinstance(key, rsa.RSAPrivateKey):
        return "it is not an RSA key"
    if key.key_size < MIN_BITS:
        return f"it has {key.key_size} bits, fewer than {MIN_BITS}"
    try:
        key.sign(b"tigermcp", padding.PKCS1v15(), hashes.SHA1())
    except Exception:  # noqa: BLE001 - whatever the reason, the SDK could not sign either
        return "it cannot sign"
    return None


def private_key_message(value: str) -> str | None:
    problem = private_key_problem(value)
    return NOT_USABLE.format(why=problem) if problem else None
