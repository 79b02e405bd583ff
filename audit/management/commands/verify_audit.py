from django.core.management.base import BaseCommand, CommandError

from audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Walk the audit hash chain; exit non-zero at the first edited, deleted or reordered event."

    def handle(self, *args, **options):
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(f"Audit chain broken after {report.checked} good events: {report.problem}.")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events verified."))
