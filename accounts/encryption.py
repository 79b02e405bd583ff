"""Field encryption with keys kept apart from SECRET_KEY and out of settings (FIELD_ENCRYPTION_KEYS).

MultiFernet from `cryptography`: the first key encrypts, every key decrypts, so keys rotate by
putting a new key first and running `manage.py rotate_encryption_keys`. The keys are read where they
are used (core.config.secret_read): from the environment, or in the embedded default from a key
generated once into the data folder.

Why not django-encrypted-model-fields: with a wrong key it returns the ciphertext as if it were the
value, and a later save encrypts that ciphertext again, silently destroying the credential. Here a
value that no configured key can decrypt raises CredentialError, always, and the message never
carries the ciphertext.

Decryption is lazy: a row loads with its secrets still sealed, and a secret is decrypted when the
attribute is read. Pages and reports that never use a secret (the account list, /health, every admin
list) therefore work whatever the keys, and serialization (`dumpdata`) writes the ciphertext.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from core.redaction import register_secret
from core.config import parse_key_list, secret_read
from core.errors import CredentialError

PREFIX = "fernet:"

UNDECRYPTABLE = (
    "Cannot decrypt {field}: none of the keys in FIELD_ENCRYPTION_KEYS opened it. Set "
    "FIELD_ENCRYPTION_KEYS to the keys that encrypted the data (to move to a new key, put the new key "
    "first, the old one after it, and run `manage.py rotate_encryption_keys`). Nothing was shown or saved."
)
KEYS_GENERATED = (
    "Generated a new credential encryption key at {path}. Back it up with the database: without it the "
    "stored Tiger credentials (and any dumpdata backup) cannot be decrypted."
)


def field_encryption_keys() -> list[str]:
    return parse_key_list(
        "FIELD_ENCRYPTION_KEYS",
        secret_read("FIELD_ENCRYPTION_KEYS", filename="field_encryption.key",
                    generate=lambda: Fernet.generate_key().decode(), generated_warning=KEYS_GENERATED),
    )


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise CredentialError(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64 bytes). "
            "Generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'",
            code="bad_encryption_key",
        ) from exc


def multifernet() -> MultiFernet:
    # Read on every call (cached per key set): tests and rotation change the keys at run time.
    try:
        keys = field_encryption_keys()
    except ImproperlyConfigured as exc:  # a malformed key, or none in production
        raise CredentialError(str(exc), code="bad_encryption_key") from None
    return _fernet_for(tuple(keys))


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


class Sealed:
    """A stored value that has not been decrypted yet: what an encrypted attribute holds after a load.

    Its repr and str never show the ciphertext (debug pages and logs print objects), and a pickle or
    copy carries only the ciphertext, never the decrypted value it caches.
    """

    __slots__ = ("ciphertext", "stored", "_plain")

    def __init__(self, ciphertext: str, *, stored: bool):
        self.ciphertext = ciphertext
        # True: loaded from this database's column (so checked when it was saved). False: ciphertext
        # that came from outside (a fixture, a typed value), not yet known to open.
        self.stored = stored
        self._plain: str | None = None

    def open(self, *, field: str) -> str:
        if self._plain is None:
            self._plain = decrypt(self.ciphertext, field=field)
        return self._plain

    def __reduce__(self):
        return (_unpickle_sealed, (self.ciphertext, self.stored))

    def __repr__(self):
        return "<encrypted>"

    __str__ = __repr__


def _unpickle_sealed(ciphertext: str, stored: bool) -> Sealed:
    return Sealed(ciphertext, stored=stored)


class EncryptedAttribute(DeferredAttribute):
    """Decrypts on read. A data descriptor (it has __set__), so every read comes through here."""

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            return value.open(field=f"{self.field.model.__name__}.{self.field.name}")
        return value

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value


def is_sealed(instance, name: str) -> bool:
    """True while the attribute still holds the value loaded from the database (not re-set since)."""
    value = instance.__dict__.get(name)
    return isinstance(value, Sealed) and value.stored


class EncryptedTextField(models.TextField):
    """Text encrypted at rest. Blank stays blank (so 'not set' is visible without a key).

    Serialized (dumpdata) as its ciphertext "fernet:…"; a serialized ciphertext loads back (loaddata)
    as the same secret, re-encrypted with the current first key, never encrypted twice (and a backup
    that the configured keys cannot open is refused).
    """

    descriptor_class = EncryptedAttribute

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return Sealed(value, stored=True)

    def to_python(self, value):
        if isinstance(value, str) and value.startswith(PREFIX):
            return Sealed(value, stored=False)
        return super().to_python(value)

    def pre_save(self, model_instance, add):
        # A value still sealed is saved back as the very ciphertext it was loaded as: saving other
        # fields needs no key (an account can be disabled under the wrong keys) and never changes
        # a secret. rotate_encryption_keys re-encrypts by setting the decrypted values first.
        return self.value_from_object(model_instance)

    def get_prep_value(self, value):
        if isinstance(value, Sealed):
            return value.ciphertext
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def value_from_object(self, obj):
        # The stored form, not the secret: forms and serializers read through here (a deferred value
        # is loaded, and so decrypted, by getattr).
        return obj.__dict__[self.attname] if self.attname in obj.__dict__ else getattr(obj, self.attname)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        if isinstance(value, Sealed):
            return value.ciphertext
        if value is None or value == "":
            return value
        return encrypt(value)
