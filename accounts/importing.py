"""`import_accounts`: the seed's account configuration file → TigerAccount rows.

Schema (the seed's, with optional extras per account):
    primary_account: {account_id, client_id, private_key | private_key_path, permissions: [read, trade],
                      label?, environment?: paper|live, license?, server_url?}
    additional_accounts: [ ...same... ]
    settings: {default_account, trading_accounts: [...], max_accounts, account_validation}
Everything is checked before anything is written, and written in one transaction.
"""

from pathlib import Path

import yaml
from django.db import transaction

from accounts.actors import Actor
from accounts.models import Environment, Scope, TigerAccount
from accounts.services import ImportResult, account_save
from core.errors import InvalidInput

ACCOUNT_KEYS = {"account_id", "client_id", "private_key", "private_key_path", "permissions", "label", "environment", "license", "server_url"}
SETTINGS_KEYS = {"default_account", "trading_accounts", "max_accounts", "account_validation"}
TOP_KEYS = {"primary_account", "additional_accounts", "settings"}


def _fail(where: str, problem: str):
    raise InvalidInput(f"{where}: {problem} Nothing was imported.", code="bad_account_file")


def _load(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        _fail(str(path), "file not found.")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        _fail(str(path), f"not valid YAML{line}.")
    if not isinstance(data, dict):
        _fail(str(path), "expected a mapping with primary_account, additional_accounts and settings.")
    unknown = set(data) - TOP_KEYS
    if unknown:
        _fail(str(path), f"unknown top-level key(s) {sorted(unknown)}; allowed: {sorted(TOP_KEYS)}.")
    return data


def _entry(raw, where: str, base: Path) -> dict:
    if not isinstance(raw, dict):
        _fail(where, "expected a mapping with account_id, client_id, private_key and permissions.")
    unknown = set(raw) - ACCOUNT_KEYS
    if unknown:
        _fail(where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(ACCOUNT_KEYS)}.")
    for key in ("account_id", "client_id"):
        if not str(raw.get(key) or "").strip():
            _fail(where, f"'{key}' is required.")
    number = str(raw["account_id"]).strip()
    where = f"{where} ({number})"
    key = raw.get("private_key")
    if raw.get("private_key_path"):
        key_path = (base / str(raw["private_key_path"])).expanduser()
        if not key_path.is_file():
            _fail(where, f"private_key_path {key_path} does not exist.")
        key = key_path.read_text()
    if not str(key or "").strip():
        _fail(where, "'private_key' or 'private_key_path' is required.")
    permissions = raw.get("permissions", ["read"])
    if not isinstance(permissions, list) or not set(permissions) <= {"read", "trade"} or not permissions:
        _fail(where, f"permissions must be a list of 'read' and/or 'trade' (got {permissions!r}).")
    environment = raw.get("environment")
    if environment is None:
        # Tiger's paper accounts are all digits and at least 17 long; anything else is treated as live
        # (which still cannot trade without both live switches).
        environment = Environment.PAPER if number.isdigit() and len(number) >= 17 else Environment.LIVE
    if environment not in Environment.values:
        _fail(where, f"environment must be 'paper' or 'live' (got {environment!r}).")
    return {
        "account_number": number,
        "tiger_id": str(raw["client_id"]).strip(),
        "private_key": str(key).strip(),
        "license": str(raw.get("license") or ""),
        "label": str(raw.get("label") or number),
        "environment": environment,
        "server_url": str(raw.get("server_url") or ""),
        "wants_trade": "trade" in permissions,
    }


def accounts_import(*, actor: Actor, path: Path) -> ImportResult:
    data = _load(path)
    base = path.parent
    entries = []
    if data.get("primary_account") is None:
        _fail(str(path), "'primary_account' is required.")
    entries.append(_entry(data["primary_account"], "primary_account", base))
    additional = data.get("additional_accounts") or []
    if not isinstance(additional, list):
        _fail("additional_accounts", "expected a list.")
    entries += [_entry(raw, f"additional_accounts[{i}]", base) for i, raw in enumerate(additional)]

    numbers = [e["account_number"] for e in entries]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        _fail(str(path), f"account(s) {duplicates} appear more than once.")

    conf = data.get("settings") or {}
    if not isinstance(conf, dict):
        _fail("settings", "expected a mapping.")
    unknown = set(conf) - SETTINGS_KEYS
    if unknown:
        _fail("settings", f"unknown key(s) {sorted(unknown)}; allowed: {sorted(SETTINGS_KEYS)}.")
    default = str(conf.get("default_account") or entries[0]["account_number"])
    if default not in numbers:
        _fail("settings.default_account", f"'{default}' is not one of the accounts in the file {numbers}.")
    trading = conf.get("trading_accounts")
    if trading is not None:
        trading = [str(t) for t in trading]
        strangers = sorted(set(trading) - set(numbers))
        if strangers:
            _fail("settings.trading_accounts", f"{strangers} are not accounts in the file.")
    max_accounts = conf.get("max_accounts")
    existing = set(TigerAccount.objects.values_list("account_number", flat=True))
    total = len(existing | set(numbers))
    if max_accounts is not None and (not isinstance(max_accounts, int) or total > max_accounts):
        _fail("settings.max_accounts", f"the import would leave {total} accounts, over max_accounts={max_accounts!r}.")

    result = ImportResult()
    with transaction.atomic():
        for e in entries:
            account = TigerAccount.objects.filter(account_number=e["account_number"]).first()
            creating = account is None
            account = account or TigerAccount(account_number=e["account_number"])
            tradeable = e["wants_trade"] and (trading is None or e["account_number"] in trading)
            values = {
                "label": e["label"], "environment": e["environment"], "tiger_id": e["tiger_id"],
                "private_key": e["private_key"], "license": e["license"], "server_url": e["server_url"],
                "permission": Scope.TRADE if tradeable else Scope.READ,
                "is_default": e["account_number"] == default,
            }
            changed = [k for k, v in values.items() if creating or getattr(account, k) != v]
            for k, v in values.items():
                setattr(account, k, v)
            if creating or changed:
                account_save(actor=actor, account=account, changed=changed)
            (result.created if creating else result.updated).append(e["account_number"])
    return result
