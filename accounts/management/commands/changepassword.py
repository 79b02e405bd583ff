"""Django's changepassword, with the change written to the audit trail in the same transaction."""

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import changepassword
from django.db import transaction

from accounts.actors import Actor
from accounts.services import user_password_changed_record


class Command(changepassword.Command):
    def handle(self, *args, **options):
        database = options["database"]
        User = get_user_model()
        username = options["username"] or getpass.getuser()
        with transaction.atomic(using=database):
            result = super().handle(*args, **options)  # raises unless the password was changed
            user = User._default_manager.db_manager(database).get(**{User.USERNAME_FIELD: username})
            user_password_changed_record(actor=Actor.system("cli", "changepassword"), user=user)
        return result
