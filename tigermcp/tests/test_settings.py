import shutil
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from tigermcp.testing import environ_without

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "TIGERMCP_ENV": "production",
    "SECRET_KEY": "vK3#pq8!Zr2@mW5&tY7^uB1*eD4(fH6)gJ9-kL0_nAxQ2+wE8=rT5~yU1|iO7",
    "ALLOWED_HOSTS": "tigermcp.example.com",
    "DATABASE_URL": "postgres://tigermcp@127.0.0.1:5432/tigermcp",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "CREDENTIAL_FINGERPRINT_KEY": "pYx8Q2vN7rK4tW1mZ6bH3jL9sD5fG0aC",
    "AUDIT_HMAC_KEY": "5f0c1e9a7b3d42a8e6c9f1b2d4a7e0c3b5d8f2a4c6e9b1d3f5a7c9e2b4d6f8a0",
}


def manage(*args, env_overrides, drop=()):
    env = environ_without("TIGERMCP_", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION", "CREDENTIAL_", "AUDIT_", "SECRET_KEY",
                          "ALLOWED_HOSTS", "TIGER_", "DEBUG")
    env.update(env_overrides)
    for key in drop:
        env.pop(key, None)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_production_settings_pass_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_without_a_secret_fails_at_boot():
    for missing in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "CREDENTIAL_FINGERPRINT_KEY", "AUDIT_HMAC_KEY", "DATABASE_URL",
                    "REDIS_URL"):
        result = manage("check", env_overrides=PRODUCTION_ENV, drop=[missing])
        assert result.returncode != 0
        assert missing in result.stderr


def test_short_audit_key_stops_the_process():
    result = manage("check", env_overrides={**PRODUCTION_ENV, "AUDIT_HMAC_KEY": "short"})
    assert result.returncode != 0
    assert "AUDIT_HMAC_KEY must be at least 32 characters" in result.stderr


def test_live_switch_with_sloppy_value_stops_the_process(tmp_path):
    result = manage("check", env_overrides={"TIGERMCP_DATA_DIR": str(tmp_path), "TIGER_LIVE_TRADING_ENABLED": "TRUE "})
    assert result.returncode != 0
    assert "must be exactly 'true' or 'false'" in result.stderr


def test_production_refuses_a_malformed_encryption_key_at_boot():
    result = manage("check", env_overrides={**PRODUCTION_ENV, "FIELD_ENCRYPTION_KEYS": "not-a-fernet-key"})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS is not a Fernet key" in result.stderr
    assert "Traceback" not in result.stderr


ENCRYPT_ONCE = "from accounts.encryption import encrypt; encrypt('x')"


def test_embedded_default_needs_nothing_and_generates_a_key_once_when_first_used(tmp_path):
    first = manage("check", env_overrides={"TIGERMCP_DATA_DIR": str(tmp_path)})
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "field_encryption.key"
    assert not key_file.exists()  # read where used: a check uses no key
    used = manage("shell", "-c", ENCRYPT_ONCE, env_overrides={"TIGERMCP_DATA_DIR": str(tmp_path)})
    assert used.returncode == 0, used.stderr
    assert key_file.exists() and "Generated a new credential encryption key" in used.stderr
    key = key_file.read_text()
    second = manage("shell", "-c", ENCRYPT_ONCE, env_overrides={"TIGERMCP_DATA_DIR": str(tmp_path)})
    assert second.returncode == 0 and "Generated" not in second.stderr
    assert key_file.read_text() == key
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_settings_dumps_never_show_the_keys(tmp_path):
    env_key = PRODUCTION_ENV["FIELD_ENCRYPTION_KEYS"]
    for overrides in ({"TIGERMCP_DATA_DIR": str(tmp_path)},
                      {"TIGERMCP_DATA_DIR": str(tmp_path), "FIELD_ENCRYPTION_KEYS": env_key,
                       "CREDENTIAL_FINGERPRINT_KEY": PRODUCTION_ENV["CREDENTIAL_FINGERPRINT_KEY"]}):
        generated = manage("shell", "-c", ENCRYPT_ONCE + "; from core.fingerprints import fingerprint; fingerprint('x')",
                           env_overrides=overrides)
        assert generated.returncode == 0, generated.stderr
        dumped = manage("diffsettings", "--all", env_overrides=overrides)
        assert dumped.returncode == 0, dumped.stderr
        assert "FIELD_ENCRYPTION_KEYS =" not in dumped.stdout
        secrets = [env_key, PRODUCTION_ENV["CREDENTIAL_FINGERPRINT_KEY"],
                   (tmp_path / "field_encryption.key").read_text().strip(), (tmp_path / "fingerprint.key").read_text().strip()]
        for secret in secrets:
            assert secret not in dumped.stdout


def test_debug_is_off_unless_asked_for(tmp_path):
    show = "from django.conf import settings; print('DEBUG', settings.DEBUG)"
    default = manage("shell", "-c", show, env_overrides={"TIGERMCP_DATA_DIR": str(tmp_path), "DEBUG": "true"})
    assert "DEBUG False" in default.stdout, default.stderr
    asked = manage("shell", "-c", show, env_overrides={"TIGERMCP_DATA_DIR": str(tmp_path), "TIGERMCP_DEBUG": "true"})
    assert "DEBUG True" in asked.stdout, asked.stderr
    sloppy = manage("check", env_overrides={"TIGERMCP_DATA_DIR": str(tmp_path), "TIGERMCP_DEBUG": "yes"})
    assert sloppy.returncode != 0 and "TIGERMCP_DEBUG must be exactly 'true' or 'false'" in sloppy.stderr


def test_a_dot_env_beside_the_settings_is_read_unless_the_test_switch_says_no(tmp_path):
    """The suite runs with TIGERMCP_READ_DOT_ENV=false (scripts/test): a checkout's .env is for
    its deployment and must not change what the tests run against. Shown on a copy of the settings
    with a .env of its own, since the checkout's .env is the developer's."""
    for package, name in (("tigermcp", "settings.py"), ("core", "config.py")):
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").touch()  # tigermcp's starts Celery: not needed to read settings
        shutil.copy(ROOT / package / name, tmp_path / package / name)
    (tmp_path / ".env").write_text("TIGERMCP_READ_ONLY=true\n")

    def read_only(switch: str) -> str:
        env = environ_without("TIGERMCP_", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION", "AUDIT_", "SECRET_KEY")
        env.update({"TIGERMCP_READ_DOT_ENV": switch, "TIGERMCP_DATA_DIR": str(tmp_path / "data")})
        done = subprocess.run([sys.executable, "-c", "import tigermcp.settings as s; print(s.TIGERMCP_READ_ONLY)"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert read_only("true") == "True"
    assert read_only("false") == "False"
