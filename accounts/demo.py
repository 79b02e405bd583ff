"""The embedded default's first-run set-up: a demo admin (and, with the simulator, demo accounts)."""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

DEMO_ADMIN = "admin"


def demo_admin_ensure(*, data_dir: Path, actor=None) -> tuple[str, str]:
    """The demo admin and its password, generated once and kept (0600) in the data folder."""
    from accounts.actors import Actor
    from accounts.services import user_save, user_set_password

    actor = actor or Actor.system("cli", "setup_demo")
    password_file = data_dir / "demo_admin_password"
    User = get_user_model()
    with transaction.atomic():
        if password_file.exists() and User.objects.filter(username=DEMO_ADMIN).exists():
            return DEMO_ADMIN, password_file.read_text().strip()
        password = secrets.token_urlsafe(12)
        user = User.objects.filter(username=DEMO_ADMIN).first() or User(username=DEMO_ADMIN)
        user.is_staff = user.is_superuser = user.is_active = True
        if user.pk is None:
            user.set_unusable_password()  # until user_set_password below, in the same transaction
        user_save(actor=actor, user=user)
        user_set_password(actor=actor, user=user, password=password)
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(password + "\n")
    return DEMO_ADMIN, password
