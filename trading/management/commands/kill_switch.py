from django.core.management.base import BaseCommand, CommandError

from accounts.actors import Actor
from core.errors import ApplicationError
from trading.services import CANCELS_NOT_SENT, kill_switch_set


class Command(BaseCommand):
    help = ("Turn the kill switch on or off, globally or for one account. On: risk-increasing orders are refused "
            "at once and working orders are cancelled at Tiger (not in a read-only deployment: there it is only "
            "recorded). Works without the MCP server.")

    def add_arguments(self, parser):
        parser.add_argument("state", choices=["on", "off"])
        parser.add_argument("--account", help="Account number; omit for the global switch.")
        parser.add_argument("--reason", default="", help="Why (kept in the audit trail).")

    def handle(self, *args, state, account=None, reason="", **options):
        try:
            result = kill_switch_set(actor=Actor.system("cli", "manage.py kill_switch"), active=state == "on",
                                     account_number=account, reason=reason)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Kill switch {result.scope}: {'ON' if result.active else 'off'}")
        if result.active and result.cancels_not_sent is not None:
            self.stdout.write(f"{CANCELS_NOT_SENT}: {len(result.cancels_not_sent)} open order(s) left as they are at Tiger")
        elif result.active:
            self.stdout.write(f"cancel requested for {len(result.cancel_requested)} working order(s)")
            for order_id, why in result.cancel_failed.items():
                self.stdout.write(f"  cancel FAILED for order {order_id}: {why}")
            if result.unresolved:
                self.stdout.write(f"  {len(result.unresolved)} order(s) still UNKNOWN: run reconcile_orders")
