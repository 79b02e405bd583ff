from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.actors import Actor
from accounts.demo import demo_admin_ensure
from accounts.models import TigerAccount
from tigermcp.embedded import (
    DemoResetRefused,
    SimulatorBusy,
    demo_access_ensure,
    demo_accounts_ensure,
    demo_reset,
    embedded_simulator_url,
)


class Command(BaseCommand):
    help = ("Embedded default only: create the demo admin (password kept in the data folder) and, when "
            "no account exists, demo paper accounts on the built-in Tiger gateway simulator, with trade "
            "grants for the demo admin and risk policies that allow US and HK stocks. --reset starts afresh.")

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true",
                            help="delete the data folder's database, simulator state and demo password first "
                                 "(everything done in the demo is lost); refused while ./scripts/run is running")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("setup_demo is for the embedded default; in production create users with createsuperuser.")
        if options["reset"]:
            try:
                removed = demo_reset(data_dir=settings.DATA_DIR)
            except DemoResetRefused as exc:
                raise CommandError(str(exc)) from None
            for path in removed:
                self.stdout.write(f"Removed {path}")
            call_command("migrate", "--noinput", verbosity=0)
        username, password = demo_admin_ensure(data_dir=settings.DATA_DIR)
        actor = Actor.system("cli", "setup_demo")
        if not TigerAccount.objects.exists():
            if not settings.TIGERSIM_EMBEDDED:
                raise CommandError("No accounts and TIGERSIM_EMBEDDED is off: import real accounts with import_accounts.")
            try:
                accounts = demo_accounts_ensure(actor=actor)
            except SimulatorBusy as exc:
                raise CommandError(str(exc)) from None
            for account in accounts:
                self.stdout.write(f"Demo paper account: {account}")
        demo_accounts = TigerAccount.objects.filter(server_url=embedded_simulator_url())
        if settings.TIGERSIM_EMBEDDED and demo_accounts.exists():
            demo_access_ensure(actor=actor, user=get_user_model().objects.get(username=username), accounts=demo_accounts)
        self.stdout.write(f"Demo admin: {username} / {password}  (kept in {settings.DATA_DIR / 'demo_admin_password'})")
