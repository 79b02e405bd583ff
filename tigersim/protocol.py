"""Wire protocol of the Tiger OpenAPI gateway: envelope, RSA-SHA1 signatures, error codes.

Everything here mirrors what ``tigeropen`` 3.8.0 sends and expects (see
``tigeropen/tiger_open_client.py`` and ``common/util/signature_utils.py``).
"""
from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# Response codes as Tiger documents them (docs.itigerup.com/docs/error-code).
CODE_OK = 0
CODE_SERVER_ERROR = 1
CODE_READ_TIMEOUT = 2
CODE_ACCESS_FORBIDDEN = 4  # also used by the gateway for per-interface rate limiting
CODE_RATE_LIMIT = 5  # sent with HTTP 429
CODE_COMMON_PARAM = 1000
CODE_BIZ_PARAM = 1010
CODE_ACCOUNT = 1100
CODE_PRIME_ACCOUNT = 1200
CODE_PAPER_ACCOUNT = 1300

MSG_BAD_SIGNATURE = "failed to verify signature, please make sure you use the correct rsa private key"
MSG_UNKNOWN_METHOD = "the current requested method does not support"
MSG_NO_DEVELOPER = "failed to get developer information"
MSG_TIME_PARSE = "time parse error, support time format is 'yyyy-MM-dd HH:mm:ss'"
MSG_NOT_JSON = "common param error(request parameters cannot be empty)"
MSG_SERVER_ERROR = "server error"

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
REQUIRED_COMMON_FIELDS = ("method", "tiger_id", "timestamp", "sign", "sign_type", "charset", "version")


class GatewayError(Exception):
    """A reply with ``code != 0``; carries Tiger's code and message verbatim."""

    def __init__(self, code: int, message: str, http_status: int = 200):
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status


def field_empty(name: str) -> GatewayError:
    return GatewayError(CODE_BIZ_PARAM, f"biz param error(field '{name}' cannot be empty)")


def biz_error(detail: str) -> GatewayError:
    return GatewayError(CODE_BIZ_PARAM, f"biz param error({detail})")


@dataclass(frozen=True)
class GatewayRequest:
    method: str
    tiger_id: str
    timestamp: str
    version: str
    biz: dict
    raw: dict


def sign_content(params: dict) -> str:
    """The exact string the SDK signs: sorted ``k=v`` pairs joined by ``&``."""
    parts = []
    for key, value in sorted(params.items()):
        if key == "sign":
            continue
        if not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False)
        parts.append(f"{key}={value}")
    return "&".join(parts)


def parse_envelope(body: bytes) -> dict:
    try:
        params = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise GatewayError(CODE_COMMON_PARAM, MSG_NOT_JSON)
    if not isinstance(params, dict):
        raise GatewayError(CODE_COMMON_PARAM, MSG_NOT_JSON)
    for name in REQUIRED_COMMON_FIELDS:
        if not params.get(name):
            raise GatewayError(CODE_COMMON_PARAM, f"common param error(field '{name}' cannot be empty)")
    try:
        dt.datetime.strptime(params["timestamp"], TIMESTAMP_FORMAT)
    except (TypeError, ValueError):
        raise GatewayError(CODE_COMMON_PARAM, MSG_TIME_PARSE)
    return params


def parse_biz_content(params: dict) -> dict:
    raw = params.get("biz_content")
    if raw in (None, ""):
        return {}
    try:
        biz = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        raise GatewayError(CODE_BIZ_PARAM, "biz param error(biz_content is not valid JSON)")
    if isinstance(biz, list):
        # The SDK sends a bare array for multi-contract calls (option_trade_tick, option_brief).
        return {"items": biz}
    if not isinstance(biz, dict):
        raise GatewayError(CODE_BIZ_PARAM, "biz param error(biz_content must be a JSON object)")
    return biz


# --- keys ---------------------------------------------------------------------------------

def generate_private_key(bits: int = 1024) -> rsa.RSAPrivateKey:
    # 1024 bits is what Tiger itself issues to developers, and keeps test set-up fast.
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_key_to_sdk_b64(key: rsa.RSAPrivateKey) -> str:
    """Base64 PKCS#1 DER body without PEM markers: the form ``config.private_key`` accepts."""
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    return base64.b64encode(der).decode("ascii")


def private_key_from_b64(text: str) -> rsa.RSAPrivateKey:
    return serialization.load_der_private_key(base64.b64decode(text), password=None)


def public_key_to_b64(key) -> str:
    """Base64 SPKI DER body, the form ``config.tiger_public_key`` expects."""
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def load_public_key(text: str):
    """Accept an SPKI or PKCS#1 public key as PEM, or a base64 SPKI/PKCS#1 DER body."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return serialization.load_pem_public_key(text.encode("ascii"))
    der = base64.b64decode("".join(text.split()))
    try:
        return serialization.load_der_public_key(der)
    except ValueError:
        # A bare PKCS#1 "RSA PUBLIC KEY" body: wrap it as PEM, which cryptography parses.
        pem = "-----BEGIN RSA PUBLIC KEY-----\n" + base64.encodebytes(der).decode("ascii") + \
              "-----END RSA PUBLIC KEY-----\n"
        return serialization.load_pem_public_key(pem.encode("ascii"))


def verify_signature(public_key, params: dict) -> bool:
    try:
        signature = base64.b64decode(params.get("sign", ""), validate=False)
        public_key.verify(signature, sign_content(params).encode("utf-8"), padding.PKCS1v15(), hashes.SHA1())
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def sign_text(private_key: rsa.RSAPrivateKey, text: str) -> str:
    signature = private_key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA1())
    return base64.b64encode(signature).decode("ascii")


# --- JSON ---------------------------------------------------------------------------------

def to_json_number(value: Decimal) -> int | float:
    """Decimals go out as JSON numbers, integers where integral, as Tiger's gateway does."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def jsonable(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return to_json_number(obj)
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    return obj


def success_body(data: Any, now_ms: int) -> dict:
    return {"code": CODE_OK, "message": "success", "timestamp": now_ms, "data": jsonable(data)}


def error_body(code: int, message: str, now_ms: int) -> dict:
    return {"code": code, "message": message, "timestamp": now_ms, "data": None}
