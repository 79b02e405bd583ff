"""A private key is refused when it is saved unless the SDK can sign with it, and a stored key that
cannot sign is reported as a credential error, never as the gateway not answering."""

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.auth import get_user_model
from django.urls import reverse

from broker.client import broker_for
from accounts.models import TigerAccount
from accounts.private_keys import ACCEPTED_FORMATS
from accounts.tests.factories import make_account
from marketdata.services import account_health_check
from core.errors import CredentialError, InvalidInput
from tigersim.protocol import private_key_from_b64

pytestmark = pytest.mark.django_db


def pem(key, fmt, encryption=None) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption or serialization.NoEncryption()).decode()


def body(pem_text: str) -> str:
    return "".join(line for line in pem_text.splitlines() if not line.startswith("-----"))


def formats_of(sdk_b64: str) -> dict[str, str]:
    key = private_key_from_b64(sdk_b64)
    pkcs1 = pem(key, serialization.PrivateFormat.TraditionalOpenSSL)
    pkcs8 = pem(key, serialization.PrivateFormat.PKCS8)
    return {"PKCS#1 body": body(pkcs1), "PKCS#1 PEM": pkcs1, "PKCS#8 body": body(pkcs8), "PKCS#8 PEM": pkcs8}


@pytest.mark.parametrize("fmt", ["PKCS#1 body", "PKCS#1 PEM", "PKCS#8 body", "PKCS#8 PEM"])
def test_every_accepted_format_is_saved_and_signs_through_the_sdk(fmt, sim, make_tiger_account):
    developer = sim.create_developer()
    account = make_tiger_account(developer=developer, private_key=formats_of(developer.private_key)[fmt])
    assets = broker_for(TigerAccount.objects.get(pk=account.pk)).assets()
    assert assets.account == account.account_number and assets.net_liquidation > 0


def unusable_keys(sdk_b64: str) -> dict[str, str]:
    rsa_key = private_key_from_b64(sdk_b64)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    locked = pem(rsa_key, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw-123456"))
    return {
        "not a key": "my-private-key-goes-here",
        "truncated": sdk_b64[: len(sdk_b64) // 2],
        "base64 of something else": base64.b64encode(b"hello world, not DER" * 4).decode(),
        "EC key": pem(ec_key, serialization.PrivateFormat.PKCS8),
        "password-protected": locked,
        "public key": rsa_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
    }


@pytest.mark.parametrize("case", ["not a key", "truncated", "base64 of something else", "EC key",
                                  "password-protected", "public key"])
def test_an_unusable_key_is_refused_when_saved_with_the_accepted_formats(case, sim_developer):
    key = unusable_keys(sim_developer.private_key)[case]
    with pytest.raises(InvalidInput) as err:
        make_account(private_key=key)
    message = err.value.message
    assert "private_key: This is not a usable RSA private key" in message
    assert ACCEPTED_FORMATS in message
    assert body(key)[:30] not in message
    assert not TigerAccount.objects.exists()


def test_the_admin_form_refuses_an_unusable_key(client):
    client.force_login(get_user_model().objects.create_superuser("root", password="pw-root-123456"))
    form = {"label": "Main", "account_number": "20260000000000777", "environment": "paper", "permission": "read",
            "status": "active", "base_currency": "USD", "tiger_id": "20150042", "private_key": "paste-error",
            "license": "TBUS", "server_url": "", "gateway_public_key": ""}
    response = client.post(reverse("admin:accounts_tigeraccount_add"), form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "This is not a usable RSA private key: it is not PEM or base64 text" in page
    assert "PKCS#8" in page and "paste-error" not in page
    assert not TigerAccount.objects.exists()


def test_a_stored_key_that_cannot_sign_is_a_credential_error_not_a_transport_error(tiger_account, sim):
    # As a key saved before keys were checked: written without the model's validation.
    TigerAccount.objects.filter(pk=tiger_account.pk).update(private_key="bm90IGEga2V5IGF0IGFsbA==")
    account = TigerAccount.objects.get(pk=tiger_account.pk)
    with pytest.raises(CredentialError) as err:
        broker_for(account).assets()
    assert err.value.code == "unusable_private_key"
    assert "cannot sign requests (it does not parse as a private key)" in err.value.message
    assert "Re-enter the key in the admin" in err.value.message
    assert "did not answer" not in err.value.message

    health = account_health_check(account=account)
    assert health.last_error_code == "unusable_private_key" and "transport" not in health.last_error


def test_a_stored_key_stays_usable_for_other_changes(tiger_account):
    """Disabling an account must not need its key re-checked (or decrypted)."""
    from accounts.actors import Actor
    from accounts.services import account_set_status

    TigerAccount.objects.filter(pk=tiger_account.pk).update(private_key="bm90IGEga2V5IGF0IGFsbA==")
    n = account_set_status(actor=Actor.system("cli", "t"), accounts=TigerAccount.objects.filter(pk=tiger_account.pk),
                           status="disabled")
    assert n == 1 and TigerAccount.objects.get(pk=tiger_account.pk).status == "disabled"
