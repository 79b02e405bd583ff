import json

import pytest
from tigeropen.common.exceptions import ApiException, ResponseException
from tigeropen.trade.trade_client import TradeClient

from tigersim import protocol as p
from tigersim.clock import SimClock
from tigersim.server import DeveloperCredentials, Simulator

from .conftest import US_SESSION, raw_call


def test_wrong_private_key_gets_tigers_signature_error(sim, demo):
    impostor = DeveloperCredentials(demo.tiger_id, p.private_key_to_sdk_b64(p.generate_private_key()), "TBUS")
    client = TradeClient(sim.client_config(impostor, demo.account))
    with pytest.raises(ApiException) as err:
        client.get_positions()
    assert err.value.code == 1000 and err.value.msg == p.MSG_BAD_SIGNATURE


def test_unknown_developer_method_and_account(sim, demo, trade):
    stranger = DeveloperCredentials("99999999", demo.private_key, "TBUS")
    with pytest.raises(ApiException) as err:
        TradeClient(sim.client_config(stranger, demo.account)).get_positions()
    assert (err.value.code, err.value.msg) == (1000, p.MSG_NO_DEVELOPER)
    reply = raw_call(trade, "no_such_method", account=demo.account)
    assert (reply["code"], reply["message"]) == (1000, p.MSG_UNKNOWN_METHOD)
    with pytest.raises(ApiException) as err:
        trade.get_positions(account="20269999999999999")
    assert err.value.code == 1100 and "20269999999999999" in err.value.msg
    # another developer's account is just as unknown to this one
    other = sim.create_developer()
    theirs = sim.open_account(other.tiger_id)
    with pytest.raises(ApiException) as err:
        trade.get_assets(account=theirs)
    assert err.value.code == 1100


def test_envelope_errors(sim):
    status, body = sim.process(b"not json")
    assert status == 200 and json.loads(body)["code"] == 1000
    params = {"method": "accounts", "tiger_id": "x", "timestamp": "2026/03/10", "sign": "x", "sign_type": "RSA",
              "charset": "UTF-8", "version": "2.0"}
    _, body = sim.process(json.dumps(params).encode())
    assert json.loads(body)["message"] == p.MSG_TIME_PARSE


def test_externally_registered_key(sim):
    from cryptography.hazmat.primitives import serialization
    key = p.generate_private_key()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    sim.register_developer("31337", pem)
    account = sim.open_account("31337", capability="CASH")
    creds = DeveloperCredentials("31337", p.private_key_to_sdk_b64(key), "TBUS")
    [profile] = TradeClient(sim.client_config(creds, account)).get_managed_accounts()
    assert profile.account == account and profile.capability == "CASH"


def test_response_signing_on_and_off(demo, sim, trade):
    assert "sign" not in raw_call(trade, "accounts")
    signing = Simulator(seed=42, clock=SimClock(US_SESSION, frozen=True), sign_responses=True,
                        match_interval=None).start()
    try:
        creds = signing.ensure_demo()
        config = signing.client_config(creds)
        assert config.tiger_public_key == signing.public_key
        client = TradeClient(config)
        assert "sign" in raw_call(client, "accounts")
        assert client.get_managed_accounts()[0].account == creds.account
        config.tiger_public_key = p.public_key_to_b64(p.generate_private_key().public_key())
        with pytest.raises(ResponseException, match="sign verify failed"):
            client.get_managed_accounts()
    finally:
        signing.stop()


def test_request_counts(sim, trade):
    sim.reset_counts()
    trade.get_positions()
    trade.get_positions()
    trade.get_managed_accounts()
    assert sim.request_count("positions") == 2 and sim.request_count() == 3
