"""What a person can see when something fails: Django's error report (the debug page under
TIGERMCP_DEBUG=true) shows no secret or ciphertext, and the embedded default, with DEBUG off,
still serves the admin and its static files."""

import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.views.debug import ExceptionReporter

from accounts.encryption import encrypt
from core.redaction import register_secret
from tigermcp.testing import environ_without, free_port

ROOT = Path(__file__).resolve().parents[2]


def test_the_debug_page_shows_no_secret_or_ciphertext(rf, settings):
    settings.DEBUG = True
    secret = "pkcs1-canary-" + "Q" * 30
    register_secret(secret)  # as decrypt() does for every value it opens
    token = encrypt(secret)
    request = rf.post("/admin/accounts/tigeraccount/1/change/",
                      {"private_key": secret, "label": "Main", "note": f"copied {token}"})

    def use_credentials(stored, plain):
        raise ValueError("boom")

    try:
        use_credentials(token, secret)
    except ValueError:
        html = ExceptionReporter(request, *sys.exc_info()).get_traceback_html()
    assert "use_credentials" in html and "Main" in html  # the report is there, only scrubbed
    assert secret not in html
    # (The page quotes this file's source, so the check looks for the token itself, not its prefix.)
    assert token[len("fernet:"):][:40] not in html and token[-30:] not in html


def test_the_embedded_default_serves_the_admin_and_its_css_with_debug_off(tmp_path):
    port = free_port()
    env = environ_without("TIGERMCP_", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION", "DEBUG")
    env.update({"TIGERMCP_DATA_DIR": str(tmp_path), "TIGERSIM_EMBEDDED": "false"})
    server = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                               "tigermcp.asgi:application"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = urllib.request.urlopen(base + "/admin/login/", timeout=5)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        html = page.read().decode()
        assert page.status == 200 and 'name="username"' in html
        assert "/static/admin/css/base.css" in html
        css = urllib.request.urlopen(base + "/static/admin/css/base.css", timeout=5)
        assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
        assert b"body" in css.read()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(base + "/no-such-page", timeout=5)
        body = missing.value.read().decode()
        assert missing.value.code == 404 and "URLconf" not in body  # Django's plain 404, not the debug page
    finally:
        server.terminate()
        server.wait(timeout=10)
