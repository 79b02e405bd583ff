import hashlib
import hmac

import pytest

from broker.limits import tiger_id_hash
from core.fingerprints import fingerprint

TIGER_ID = "20150042"


def test_a_tiger_id_fingerprint_cannot_be_reversed_by_trying_every_id(monkeypatch):
    monkeypatch.setenv("CREDENTIAL_FINGERPRINT_KEY", "k" * 32)
    tag = fingerprint(TIGER_ID)
    # What an attacker with a database dump or an audit row tries: every id, unkeyed.
    for candidate in (f"2015{n:04d}" for n in range(10_000)):
        for unkeyed in (hashlib.sha256(candidate.encode()).hexdigest(),
                        hashlib.sha256(("tigermcp-rate:" + candidate).encode()).hexdigest()):
            assert unkeyed[:12] not in tag
            assert unkeyed[:24] != tiger_id_hash(TIGER_ID)
    # Only the key opens it: the same id under the key gives the tag, another key another tag.
    assert tag == "hmac:" + hmac.new(b"k" * 32, b"credential\0" + TIGER_ID.encode(), hashlib.sha256).hexdigest()[:12]
    limiter_key = tiger_id_hash(TIGER_ID)
    monkeypatch.setenv("CREDENTIAL_FINGERPRINT_KEY", "j" * 32)
    assert fingerprint(TIGER_ID) != tag and tiger_id_hash(TIGER_ID) != limiter_key


def test_fingerprints_are_stable_and_tell_credentials_apart():
    assert fingerprint(TIGER_ID) == fingerprint(TIGER_ID) != fingerprint("20150043")
    assert fingerprint(TIGER_ID).startswith("hmac:") and TIGER_ID not in fingerprint(TIGER_ID)
    assert fingerprint("") == "—"


def test_the_embedded_default_keeps_its_fingerprint_key_in_the_data_folder(settings, monkeypatch):
    monkeypatch.delenv("CREDENTIAL_FINGERPRINT_KEY", raising=False)
    key_file = settings.DATA_DIR / "fingerprint.key"
    tag = fingerprint(TIGER_ID)
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    key = key_file.read_text().strip().encode()
    assert tag == "hmac:" + hmac.new(key, b"credential\0" + TIGER_ID.encode(), hashlib.sha256).hexdigest()[:12]


@pytest.mark.django_db
def test_the_audit_row_of_a_credential_change_keeps_its_keyed_fingerprint():
    from accounts.tests.factories import CANARY_KEY, make_account
    from audit.models import AuditEvent

    account = make_account(tiger_id=TIGER_ID)
    event = AuditEvent.objects.get(event_type="account.created", account=account)
    shown = event.payload["credential_fingerprints"]
    assert shown["tiger_id_fingerprint"] == fingerprint(TIGER_ID)
    assert shown["private_key_fingerprint"] == fingerprint(CANARY_KEY)
    assert TIGER_ID not in str(event.payload) and CANARY_KEY not in str(event.payload)
