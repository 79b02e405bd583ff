import itertools

from accounts.actors import Actor
from accounts.models import Scope, TigerAccount
from accounts.services import account_save

_numbers = itertools.count(1)


def _canary_key() -> str:
    from tigersim.protocol import generate_private_key, private_key_to_sdk_b64

    return private_key_to_sdk_b64(generate_private_key())


# Planted in tests: it must never appear in any output, log, audit row or page. A real RSA key (saving
# refuses anything else), new in every test run.
CANARY_KEY = _canary_key()


def make_account(*, actor: Actor | None = None, **fields) -> TigerAccount:
    n = next(_numbers)
    values = {
        "label": f"Account {n}",
        "account_number": f"2026{n:014d}",
        "tiger_id": f"2015{n:04d}",
        "private_key": CANARY_KEY,
        "license": "TBUS",
        "permission": Scope.TRADE,
    }
    values.update(fields)
    account = TigerAccount(**values)
    return account_save(actor=actor or Actor.system("cli", "factory"), account=account, changed=list(values))
