from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.actors import Actor
from accounts.importing import accounts_import
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Create or update Tiger accounts from an account configuration YAML file (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            result = accounts_import(actor=Actor.system("cli", "import_accounts"), path=file)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(
            f"Imported {len(result.created)} new and {len(result.updated)} existing account(s): "
            f"{', '.join(result.created + result.updated)}"
        ))
