import json

from django.core.management.base import BaseCommand, CommandError

from core.redaction import scrub_text
from marketdata.selectors import health_is_ok, health_report
from core.errors import ApplicationError

FAILED = ("The health report could not be made ({error}). Nothing was changed. "
          "Run again with --traceback for the details.")


class Command(BaseCommand):
    help = "Report database, Redis, Celery and per-account health; exit status 1 when down."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the /health JSON")
        parser.add_argument("--check", action="store_true",
                            help="run a health check of every active account now (inline) before reporting")
        parser.add_argument("--strict", action="store_true", help="exit 1 when degraded too")

    def handle(self, *args, **options):
        # A monitor reads this command's exit status and output: an error is one clear line and
        # exit status 1, never a traceback (the details are one --traceback away).
        try:
            self._report(options)
        except (CommandError, SystemExit):
            raise
        except ApplicationError as exc:
            if options["traceback"]:
                raise
            raise CommandError(exc.message) from None
        except Exception as exc:  # noqa: BLE001 - reported as one line; --traceback shows the rest
            if options["traceback"]:
                raise
            raise CommandError(FAILED.format(error=scrub_text(f"{type(exc).__name__}: {exc}"))) from None

    def _report(self, options):
        if options["check"]:
            from accounts.models import AccountStatus, TigerAccount
            from marketdata.services import account_health_check

            for account in TigerAccount.objects.filter(status=AccountStatus.ACTIVE):
                account_health_check(account=account)
        report = health_report()
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self.stdout.write(f"overall: {report['status']}")
            for name in ("database", "redis", "celery"):
                part = report[name]
                detail = part.get("detail") or part.get("error") or part.get("last_heartbeat") or ""
                self.stdout.write(f"  {name:<9} {part['status']:<15} {detail}")
            for row in report["accounts"]:
                line = f"  account {row['account']} ({row['label']}): {row['status']}"
                if row["latency_ms"] is not None:
                    line += f", {row['latency_ms']} ms"
                if row["consecutive_failures"]:
                    line += f", {row['consecutive_failures']} consecutive failures: {row['last_error']}"
                self.stdout.write(line)
        if not health_is_ok(report, options["strict"]):
            raise SystemExit(1)
