import textwrap

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Environment, Scope, TigerAccount
from accounts.tests.factories import CANARY_KEY
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

GOOD = f"""
primary_account:
  account_id: "20260000000000001"
  client_id: "20150001"
  private_key: "{CANARY_KEY}"
  permissions: ["read", "trade"]
additional_accounts:
  - account_id: "20260000000000002"
    client_id: "20150001"
    private_key: "{CANARY_KEY}"
    permissions: ["read", "trade"]
  - account_id: "U7654321"
    client_id: "20150002"
    private_key: "{CANARY_KEY}"
    permissions: ["read"]
settings:
  default_account: "20260000000000002"
  trading_accounts: ["20260000000000001"]
  max_accounts: 10
  account_validation: true
"""


def write(tmp_path, text):
    path = tmp_path / "accounts.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_import_creates_accounts_with_permissions_and_default(tmp_path, capsys):
    call_command("import_accounts", str(write(tmp_path, GOOD)))
    accounts = {a.account_number: a for a in TigerAccount.objects.all()}
    assert set(accounts) == {"20260000000000001", "20260000000000002", "U7654321"}
    assert accounts["20260000000000001"].permission == Scope.TRADE
    # wants trade but is not in trading_accounts
    assert accounts["20260000000000002"].permission == Scope.READ
    assert accounts["U7654321"].permission == Scope.READ
    assert accounts["U7654321"].environment == Environment.LIVE
    assert accounts["20260000000000001"].environment == Environment.PAPER
    assert [a.account_number for a in TigerAccount.objects.filter(is_default=True)] == ["20260000000000002"]
    assert accounts["20260000000000001"].private_key == CANARY_KEY
    assert AuditEvent.objects.filter(event_type="account.created", door="cli").count() == 3
    assert CANARY_KEY not in capsys.readouterr().out


def test_reimport_updates_in_place(tmp_path):
    path = write(tmp_path, GOOD)
    call_command("import_accounts", str(path))
    path.write_text(path.read_text().replace('trading_accounts: ["20260000000000001"]', 'trading_accounts: ["20260000000000001", "20260000000000002"]'))
    call_command("import_accounts", str(path))
    assert TigerAccount.objects.count() == 3
    assert TigerAccount.objects.get(account_number="20260000000000002").permission == Scope.TRADE


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda t: t.replace('  client_id: "20150001"\n  private_key', "  private_key", 1), "'client_id' is required"),
        (lambda t: t.replace('permissions: ["read"]', 'permissions: ["admin"]'), "permissions must be a list"),
        (lambda t: t.replace('default_account: "20260000000000002"', 'default_account: "999"'), "'999' is not one of the accounts"),
        (lambda t: t.replace("max_accounts: 10", "max_accounts: 2"), "over max_accounts=2"),
        (lambda t: t.replace('account_id: "U7654321"', 'account_id: "20260000000000001"'), "appear more than once"),
        (lambda t: t.replace("settings:", "settingz:"), "unknown top-level key"),
        (lambda t: t + "\n  : : [", "not valid YAML"),
        (lambda t: t.replace('trading_accounts: ["20260000000000001"]', 'trading_accounts: ["X1"]'), "['X1'] are not accounts in the file"),
    ],
)
def test_bad_file_gets_a_clear_error_and_imports_nothing(tmp_path, mutate, message):
    with pytest.raises(CommandError) as err:
        call_command("import_accounts", str(write(tmp_path, mutate(GOOD))))
    assert message in str(err.value) and "Nothing was imported" in str(err.value)
    assert CANARY_KEY not in str(err.value)
    assert TigerAccount.objects.count() == 0
    assert not AuditEvent.objects.exists()


def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="file not found"):
        call_command("import_accounts", str(tmp_path / "nope.yaml"))
