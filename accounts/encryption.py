"""Field encryption with keys kept apart from SECRET_KEY (settings.FIELD_ENCRYPTION_KEYS).

MultiFernet from `cryptography`: the first key encrypts, every key decrypts, so keys rotate by
putting a new key first and running `manage.py rotate_encryption_keys`.

Why not django-encrypted-model-fields: with a wrong key it returns the ciphertext as if it were the
value, and a later save encrypts that ciphertext again, silently destroying the credential. Here a
value that no configured key can decrypt raises CredentialError, always, and the message never
carries the ciphertext.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

from core.redaction import register_secret
from core.errors import CredentialError

PREFIX = "fernet:"

UNDECRYPTABLE = (
    "Cannot decrypt {field}: none of the keys in FIELD_ENCRYPTION_KEYS opened it. Put the key that "
    "encrypted it back into FIELD_ENCRYPTION_KEYS (after the current key) and run "
    "`manage.py rotate_encryption_keys`. Nothing was shown or saved."
)


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise CredentialError(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64 bytes). "
            "Generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'",
            code="bad_encryption_key",
        ) from exc


def multifernet() -> MultiFernet:
    # Read on every call (cached per key set): tests and rotation change the keys at run time.
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return PREFIX + multifernet().encrypt(value.encode()).decode()


def decrypt(stored: str, *, field: str = "a credential") -> str:
    if not stored.startswith(PREFIX):
        raise CredentialError(
            f"{field} is stored without encryption; refusing to use it. Re-enter the value.",
            code="not_encrypted",
        )
    try:
        value = multifernet().decrypt(stored[len(PREFIX):].encode()).decode()
    except InvalidToken:
        raise CredentialError(UNDECRYPTABLE.format(field=field), code="undecryptable") from None
    register_secret(value)
    return value


class EncryptedTextField(models.TextField):
    """Text encrypted at rest. Blank stays blank (so 'not set' is visible without a key)."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value, field=f"{self.model.__name__}.{self.name}")

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
