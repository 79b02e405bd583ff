from django.core.management.base import BaseCommand, CommandError

from audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = ("Walk the audit chain (hashes and MACs) and compare its tip with the checkpoint outside the "
            "database; exit non-zero at the first edited, deleted, reordered or forged event, or a wiped tail.")

    def handle(self, *args, **options):
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(f"Audit chain broken after {report.checked} good events: {report.problem}.")
        notes = []
        if report.unsigned == report.checked and report.checked:
            notes.append("all predate the MAC; the next event written will vouch for them")
        elif report.unsigned:
            notes.append(f"the first {report.unsigned} predate the MAC and are vouched for by the first event after them")
        if report.checkpoint is not None:
            notes.append(f"checkpoint #{report.checkpoint.seq} matches")
        suffix = f" ({'; '.join(notes)})" if notes else ""
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events verified{suffix}."))
