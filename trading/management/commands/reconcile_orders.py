from django.core.management.base import BaseCommand, CommandError

from accounts.actors import Actor
from core.errors import ApplicationError
from trading.services import UNKNOWN_GRACE_SECONDS, orders_reconcile, orders_reconcile_all


class Command(BaseCommand):
    help = "Match open, pending and UNKNOWN orders against Tiger's order list (statuses, fills). Never places anything."

    def add_arguments(self, parser):
        parser.add_argument("--account", help="One account number; default: every account with open orders.")
        parser.add_argument("--grace", type=int, default=UNKNOWN_GRACE_SECONDS,
                            help="Seconds after which an order Tiger does not show is marked never placed.")

    def handle(self, *args, account=None, grace=UNKNOWN_GRACE_SECONDS, **options):
        actor = Actor.system("cli", "manage.py reconcile_orders")
        try:
            reports = ([orders_reconcile(actor=actor, account_number=account, unknown_grace_seconds=grace)]
                       if account else orders_reconcile_all(actor=actor, unknown_grace_seconds=grace))
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        for r in reports:
            self.stdout.write(r.summary())
        if not reports:
            self.stdout.write("No open orders.")
