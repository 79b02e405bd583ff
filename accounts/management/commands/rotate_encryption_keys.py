from django.core.management.base import BaseCommand, CommandError

from accounts.actors import Actor
from accounts.services import encryption_keys_rotate
from core.errors import ApplicationError


class Command(BaseCommand):
    help = ("Re-encrypt every stored credential with the first key in FIELD_ENCRYPTION_KEYS. "
            "Afterwards the older keys can be removed.")

    def handle(self, *args, **options):
        try:
            count = encryption_keys_rotate(actor=Actor.system("cli", "rotate_encryption_keys"))
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted the credentials of {count} account(s) with the first key."))
