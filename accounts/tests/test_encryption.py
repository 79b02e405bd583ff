import copy
import io
import json
import pickle

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from accounts.encryption import Sealed
from accounts.models import TigerAccount
from accounts.tests.factories import CANARY_KEY, make_account
from core.errors import CredentialError

pytestmark = pytest.mark.django_db


def new_key() -> str:
    return Fernet.generate_key().decode()


def raw_column(account, column="private_key") -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM accounts_tigeraccount WHERE id = %s", [account.pk])
        return cur.fetchone()[0]


def dump(*labels: str) -> str:
    out = io.StringIO()
    call_command("dumpdata", *labels, stdout=out)
    return out.getvalue()


def test_database_column_holds_ciphertext_not_the_key():
    account = make_account()
    stored = raw_column(account)
    assert stored.startswith("fernet:")
    assert CANARY_KEY not in stored
    assert TigerAccount.objects.get(pk=account.pk).private_key == CANARY_KEY
    assert "TBUS" not in raw_column(account, "license")


def test_wrong_key_fails_loudly_when_a_secret_is_read_and_never_shows_ciphertext(use_keys):
    account = make_account()
    stored = raw_column(account)
    use_keys(new_key())
    # The row loads (lists and health pages need no secret); reading the secret fails.
    loaded = TigerAccount.objects.get(pk=account.pk)
    assert loaded.account_number == account.account_number
    with pytest.raises(CredentialError) as err:
        loaded.private_key
    message = str(err.value)
    assert err.value.code == "undecryptable"
    assert "Set FIELD_ENCRYPTION_KEYS to the keys that encrypted the data" in message
    assert "rotate_encryption_keys" in message
    assert stored[7:40] not in message and CANARY_KEY not in message
    assert stored[7:40] not in repr(loaded.__dict__)


def test_wrong_key_never_resaves_ciphertext_as_value(use_keys):
    key = new_key()
    use_keys(key)
    account = make_account()
    before = raw_column(account)
    use_keys(new_key())
    for acc in TigerAccount.objects.all():
        acc.label = "saved under the wrong key"
        acc.save()
    assert raw_column(account) == before  # kept as stored: not encrypted again, not replaced
    use_keys(key)
    assert TigerAccount.objects.get(pk=account.pk).private_key == CANARY_KEY


def test_unencrypted_value_in_column_is_refused():
    account = make_account()
    with connection.cursor() as cur:
        cur.execute("UPDATE accounts_tigeraccount SET license = 'TBUS' WHERE id = %s", [account.pk])
    with pytest.raises(CredentialError, match="stored without encryption"):
        TigerAccount.objects.get(pk=account.pk).license


def test_malformed_key_setting_says_how_to_make_one(use_keys):
    use_keys("not-a-key")
    with pytest.raises(CredentialError, match="generate_key"):
        make_account()


def test_rotation_reencrypts_every_row_so_the_old_key_can_go(use_keys):
    old, new = new_key(), new_key()
    use_keys(old)
    accounts = [make_account() for _ in range(3)]
    before = {a.pk: raw_column(a) for a in accounts}

    use_keys(new, old)
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    use_keys(new)

    for account in accounts:
        assert raw_column(account) != before[account.pk]
        fresh = TigerAccount.objects.get(pk=account.pk)
        assert fresh.private_key == CANARY_KEY
        assert fresh.tiger_id == account.tiger_id
    from audit.models import AuditEvent
    assert AuditEvent.objects.filter(event_type="encryption.rotated", payload__accounts=3).count() == 1


# --- serialization: dumpdata writes ciphertext, loaddata takes it back --------------------------------


def test_dumpdata_writes_ciphertext_never_the_secrets():
    account = make_account(tiger_id="20158642", license="TBNZ")
    output = dump("accounts.tigeraccount")
    for plain in (CANARY_KEY, "20158642", "TBNZ"):
        assert plain not in output
    fields = json.loads(output)[0]["fields"]
    for name in TigerAccount.SECRET_FIELDS:
        assert fields[name].startswith("fernet:")
    assert fields["private_key"] == raw_column(account)  # as stored: no decryption needed to back up


def test_dumpdata_works_without_the_keys(use_keys):
    """A backup never needs the keys (and so never touches the secrets)."""
    account = make_account()
    use_keys(new_key())
    fields = json.loads(dump("accounts.tigeraccount"))[0]["fields"]
    assert fields["private_key"] == raw_column(account)


def test_backup_and_restore_round_trip_with_the_same_keys(tmp_path):
    account = make_account(tiger_id="20157531", license="TBSG")
    backup = tmp_path / "backup.json"
    backup.write_text(dump("accounts.tigeraccount"))
    TigerAccount.objects.filter(pk=account.pk).delete()
    assert not TigerAccount.objects.filter(pk=account.pk).exists()

    call_command("loaddata", str(backup), stdout=io.StringIO())

    restored = TigerAccount.objects.get(pk=account.pk)
    assert (restored.private_key, restored.tiger_id, restored.license) == (CANARY_KEY, "20157531", "TBSG")
    stored = raw_column(restored)
    assert stored.startswith("fernet:") and stored.count("fernet:") == 1  # encrypted once, not twice
    assert CANARY_KEY not in stored


def test_restore_under_other_keys_fails_loudly_and_writes_nothing(tmp_path, use_keys):
    account = make_account()
    backup = tmp_path / "backup.json"
    backup.write_text(dump("accounts.tigeraccount"))
    TigerAccount.objects.filter(pk=account.pk).delete()
    use_keys(new_key())
    with pytest.raises(CredentialError, match="FIELD_ENCRYPTION_KEYS"):
        call_command("loaddata", str(backup), stdout=io.StringIO())
    assert not TigerAccount.objects.filter(pk=account.pk).exists()


def test_a_loaded_row_carries_only_ciphertext_in_copies_and_pickles():
    account = TigerAccount.objects.get(pk=make_account().pk)
    assert account.private_key == CANARY_KEY  # decrypted and cached on the sealed value
    for clone in (pickle.loads(pickle.dumps(account)), copy.deepcopy(account)):
        assert CANARY_KEY not in repr(vars(clone))
        assert CANARY_KEY.encode() not in pickle.dumps(clone)
        assert isinstance(vars(clone)["private_key"], Sealed)
        assert clone.private_key == CANARY_KEY
