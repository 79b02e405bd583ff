"""Django's createsuperuser, with the new user written to the audit trail in the same transaction."""

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import createsuperuser
from django.db import transaction

from accounts.actors import Actor
from accounts.services import user_created_record


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        database = options["database"]
        users = get_user_model()._default_manager.db_manager(database)
        with transaction.atomic(using=database):
            last_pk = users.order_by("-pk").values_list("pk", flat=True).first() or 0
            super().handle(*args, **options)
            for user in users.filter(pk__gt=last_pk):
                user_created_record(actor=Actor.system("cli", "createsuperuser"), user=user)
