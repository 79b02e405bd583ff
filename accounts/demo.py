"""The embedded default's first-run set-up: a demo admin (and, with the simulator, demo accounts)."""

import json
import logging
import os
import secrets
import threading
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

DEMO_ADMIN = "admin"


def demo_admin_ensure(*, data_dir: Path) -> tuple[str, str]:
    """The demo admin and its password, generated once and kept (0600) in the data folder."""
    password_file = data_dir / "demo_admin_password"
    User = get_user_model()
    with transaction.atomic():
        if password_file.exists() and User.objects.filter(username=DEMO_ADMIN).exists():
            return DEMO_ADMIN, password_file.read_text().strip()
        password = secrets.token_urlsafe(12)
        user, _ = User.objects.get_or_create(username=DEMO_ADMIN, defaults={"is_staff": True, "is_superuser": True})
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(password + "\n")
    return DEMO_ADMIN, password


# --- the embedded Tiger gateway simulator ---------------------------------------------------------

logger = logging.getLogger("tigermcp.demo")

_embedded = None
_embedded_lock = threading.Lock()

DEMO_LABELS = ("Demo margin (paper)", "Demo cash (paper)")


def embedded_simulator_url() -> str:
    return f"http://127.0.0.1:{settings.TIGERSIM_PORT}/gateway"


def _simulator_answers() -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{settings.TIGERSIM_PORT}/", timeout=0.5) as reply:
            return json.load(reply).get("status") == "ok"
    except (OSError, ValueError):
        return False


def embedded_simulator_ensure():
    """The embedded default's gateway: one simulator on TIGERSIM_PORT shared by every local process
    (web, run_mcp, workers). The first process that needs it serves it from the state folder; the
    others find it answering and use it."""
    global _embedded
    if _embedded is not None:
        return _embedded
    with _embedded_lock:
        if _embedded is not None or _simulator_answers():
            return _embedded
        from tigersim.persistence import StateFolderBusy
        from tigersim.server import Simulator

        try:
            _embedded = Simulator(state_dir=settings.TIGERSIM_STATE_DIR, port=settings.TIGERSIM_PORT).start()
        except StateFolderBusy:
            return None  # another process owns the state and is starting to serve it
        except OSError:
            # Another process bound the port between our check and our start: use theirs.
            if not _simulator_answers():
                raise
        return _embedded


def demo_accounts_ensure(*, actor) -> list:
    """Demo paper accounts bound to the embedded simulator, created once (embedded default only)."""
    from accounts.models import Environment, Scope, TigerAccount
    from accounts.services import account_save

    sim = embedded_simulator_ensure()
    if sim is None:
        raise RuntimeError("The embedded simulator is served by another process; run setup_demo before starting the server.")
    demo = sim.ensure_demo()
    sim.save()
    accounts = []
    for index, (number, label) in enumerate(zip(demo.accounts, DEMO_LABELS)):
        account = TigerAccount.objects.filter(account_number=number).first()
        if account is None:
            account = TigerAccount(
                account_number=number, label=label, environment=Environment.PAPER, permission=Scope.TRADE,
                tiger_id=demo.tiger_id, private_key=demo.private_key, license=demo.license,
                server_url=embedded_simulator_url(), is_default=index == 0 and not TigerAccount.objects.filter(is_default=True).exists(),
            )
            account_save(actor=actor, account=account, changed=["label", "account_number", "environment", "permission", "tiger_id", "private_key", "license", "server_url"])
        accounts.append(account)
    return accounts
