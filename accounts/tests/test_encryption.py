import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from accounts.models import TigerAccount
from accounts.tests.factories import CANARY_KEY, make_account
from core.errors import CredentialError

pytestmark = pytest.mark.django_db


def raw_column(account, column="private_key") -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM accounts_tigeraccount WHERE id = %s", [account.pk])
        return cur.fetchone()[0]


def test_database_column_holds_ciphertext_not_the_key():
    account = make_account()
    stored = raw_column(account)
    assert stored.startswith("fernet:")
    assert CANARY_KEY not in stored
    assert TigerAccount.objects.get(pk=account.pk).private_key == CANARY_KEY
    assert "TBUS" not in raw_column(account, "license")


def test_wrong_key_fails_loudly_and_never_shows_ciphertext(settings):
    account = make_account()
    stored = raw_column(account)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CredentialError) as err:
        TigerAccount.objects.get(pk=account.pk)
    message = str(err.value)
    assert "FIELD_ENCRYPTION_KEYS" in message and "rotate_encryption_keys" in message
    assert stored[7:40] not in message and CANARY_KEY not in message


def test_wrong_key_cannot_resave_ciphertext_as_value(settings):
    account = make_account()
    before = raw_column(account)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CredentialError):
        for acc in TigerAccount.objects.all():
            acc.save()
    assert raw_column(account) == before


def test_unencrypted_value_in_column_is_refused():
    account = make_account()
    with connection.cursor() as cur:
        cur.execute("UPDATE accounts_tigeraccount SET license = 'TBUS' WHERE id = %s", [account.pk])
    with pytest.raises(CredentialError, match="stored without encryption"):
        TigerAccount.objects.get(pk=account.pk)


def test_malformed_key_setting_says_how_to_make_one(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-key"]
    with pytest.raises(CredentialError, match="generate_key"):
        make_account()


def test_rotation_reencrypts_every_row_so_the_old_key_can_go(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    accounts = [make_account() for _ in range(3)]
    before = {a.pk: raw_column(a) for a in accounts}

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))
    settings.FIELD_ENCRYPTION_KEYS = [new]

    for account in accounts:
        assert raw_column(account) != before[account.pk]
        fresh = TigerAccount.objects.get(pk=account.pk)
        assert fresh.private_key == CANARY_KEY
        assert fresh.tiger_id == account.tiger_id
    from audit.models import AuditEvent
    assert AuditEvent.objects.filter(event_type="encryption.rotated", payload__accounts=3).count() == 1
