from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import demo_admin_ensure


class Command(BaseCommand):
    help = "Embedded default only: create the demo admin (password kept in the data folder)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("setup_demo is for the embedded default; in production create users with createsuperuser.")
        username, password = demo_admin_ensure(data_dir=settings.DATA_DIR)
        self.stdout.write(f"Demo admin: {username} / {password}  (kept in {settings.DATA_DIR / 'demo_admin_password'})")
