"""manage.py as an operator runs it, on an embedded-default installation of its own (SQLite in a data
folder): secrets never reach a command's output or log, and an error is one line that names the fix,
never a traceback."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tigermcp.testing import environ_without

ROOT = Path(__file__).resolve().parents[2]
KEY = Fernet.generate_key().decode()
OTHER_KEY = Fernet.generate_key().decode()
TIGER_ID = "20151357"

MAKE_ACCOUNT = f"""
from accounts.tests.factories import CANARY_KEY, make_account
make_account(tiger_id="{TIGER_ID}", license="TBAU")
print(CANARY_KEY)
"""


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]  # the shell may print a line of its own first


def manage(*args, data_dir: Path, key: str = KEY, **extra_env):
    env = environ_without("TIGERMCP_", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION", "CREDENTIAL_", "AUDIT_", "DEBUG")
    env.update({"TIGERMCP_DATA_DIR": str(data_dir), "TIGERSIM_EMBEDDED": "false", "FIELD_ENCRYPTION_KEYS": key,
                "CELERY_TASK_ALWAYS_EAGER": "true", **extra_env})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("installation")
    migrated = manage("migrate", "-v0", data_dir=data_dir)
    assert migrated.returncode == 0, migrated.stderr
    made = manage("shell", "-c", MAKE_ACCOUNT, data_dir=data_dir)
    assert made.returncode == 0, made.stderr
    return {"dir": data_dir, "canary": last_line(made.stdout)}


def assert_no_secret(text: str, installation):
    for leak in (installation["canary"], TIGER_ID, "TBAU", "gAAAAA", "Traceback"):
        assert leak not in text, leak


def test_dumpdata_prints_ciphertext_only(installation):
    result = manage("dumpdata", "accounts.tigeraccount", data_dir=installation["dir"])
    assert result.returncode == 0, result.stderr
    fields = json.loads(result.stdout)[0]["fields"]
    assert all(fields[name].startswith("fernet:") for name in ("tiger_id", "private_key", "license"))
    for plain in (installation["canary"], TIGER_ID, "TBAU"):
        assert plain not in result.stdout


BACKUP = ("dumpdata", "--format", "xml", "--natural-foreign", "--natural-primary",
          "-e", "contenttypes", "-e", "auth.permission", "-e", "sessions")  # as the README says


def test_backup_restores_into_a_new_installation_with_the_same_keys(installation, tmp_path):
    backup = tmp_path / "backup.xml"
    dumped = manage(*BACKUP, "-o", str(backup), data_dir=installation["dir"])
    assert dumped.returncode == 0, dumped.stderr
    text = backup.read_text()
    assert "fernet:" in text
    for plain in (installation["canary"], TIGER_ID, "TBAU"):
        assert plain not in text
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    # The keys and the audit checkpoint go with the backup (the README says so); the encryption key
    # is FIELD_ENCRYPTION_KEYS here.
    for name in ("fingerprint.key", "audit_hmac.key", "audit_checkpoint.log"):
        shutil.copy(installation["dir"] / name, fresh / name)
    assert manage("migrate", "-v0", data_dir=fresh).returncode == 0

    refused = manage("loaddata", str(backup), data_dir=fresh, key=OTHER_KEY)
    assert refused.returncode == 1
    assert "Set FIELD_ENCRYPTION_KEYS to the keys that encrypted the data" in refused.stderr
    assert_no_secret(refused.stdout + refused.stderr, installation)

    restored = manage("loaddata", str(backup), data_dir=fresh)
    assert restored.returncode == 0, restored.stderr
    read = manage("shell", "-c", "from accounts.models import TigerAccount as T; a = T.objects.get(); "
                                 "print(a.tiger_id, a.license, a.private_key)", data_dir=fresh)
    assert last_line(read.stdout).split() == [TIGER_ID, "TBAU", installation["canary"]]
    verified = manage("verify_audit", data_dir=fresh)
    assert verified.returncode == 0 and "Audit chain intact" in verified.stdout, verified.stdout + verified.stderr


def test_health_under_the_wrong_keys_reports_instead_of_crashing(installation):
    result = manage("health", "--check", data_dir=installation["dir"], key=OTHER_KEY)
    assert result.returncode == 0, result.stderr  # degraded: an account fails, the service is up
    assert "overall: degraded" in result.stdout
    assert "Set FIELD_ENCRYPTION_KEYS to the keys that encrypted the data" in result.stdout
    assert_no_secret(result.stdout + result.stderr, installation)

    strict = manage("health", "--strict", data_dir=installation["dir"], key=OTHER_KEY)
    assert strict.returncode == 1
    assert_no_secret(strict.stdout + strict.stderr, installation)


def test_a_malformed_key_is_one_line_and_exit_status_1(installation):
    result = manage("health", data_dir=installation["dir"], key="not-a-key")
    assert result.returncode == 1
    assert "Error: Key 1 of FIELD_ENCRYPTION_KEYS is not a Fernet key" in result.stderr
    assert "Traceback" not in result.stderr


LOG_CANARY = """
import logging
from accounts.encryption import encrypt
token = encrypt("tigermcp-log-canary")
logging.getLogger("tigermcp.test").warning("stored value %s", token)
try:
    raise ValueError("could not use " + token)
except ValueError:
    logging.getLogger("django.request").exception("Internal Server Error: /admin/")
print(token)
"""


def test_no_log_line_carries_ciphertext_in_debug_mode_either(installation):
    result = manage("shell", "-c", LOG_CANARY, data_dir=installation["dir"], TIGERMCP_DEBUG="true")
    assert result.returncode == 0, result.stderr
    token = last_line(result.stdout)
    assert token.startswith("fernet:gAAAAA")
    assert "stored value [REDACTED]" in result.stderr and "could not use [REDACTED]" in result.stderr
    assert token[7:] not in result.stderr and "gAAAAA" not in result.stderr
