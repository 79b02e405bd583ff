from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.actors import Actor
from accounts.demo import demo_admin_ensure
from tigermcp.embedded import SimulatorBusy, demo_accounts_ensure
from accounts.models import TigerAccount


class Command(BaseCommand):
    help = ("Embedded default only: create the demo admin (password kept in the data folder) and, when "
            "no account exists, demo paper accounts on the built-in Tiger gateway simulator.")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("setup_demo is for the embedded default; in production create users with createsuperuser.")
        username, password = demo_admin_ensure(data_dir=settings.DATA_DIR)
        if not TigerAccount.objects.exists():
            if not settings.TIGERSIM_EMBEDDED:
                raise CommandError("No accounts and TIGERSIM_EMBEDDED is off: import real accounts with import_accounts.")
            try:
                accounts = demo_accounts_ensure(actor=Actor.system("cli", "setup_demo"))
            except SimulatorBusy as exc:
                raise CommandError(str(exc)) from None
            for account in accounts:
                self.stdout.write(f"Demo paper account: {account}")
        self.stdout.write(f"Demo admin: {username} / {password}  (kept in {settings.DATA_DIR / 'demo_admin_password'})")
