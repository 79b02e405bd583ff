from django.core.management.base import BaseCommand, CommandError

from tigersim.cli import add_arguments, serve
from tigersim.persistence import StateFolderBusy


class Command(BaseCommand):
    help = ("Serve the Tiger OpenAPI gateway simulator on 127.0.0.1 and write "
            "STATE/tiger_openapi_config.properties for its demo developer.")

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, **options):
        try:
            serve(port=options["port"], state=options["state"], seed=options["seed"], clock=options["clock"],
                  rate_limit_window=options["rate_limit_window"], sign_responses=options["sign_responses"],
                  latency=options["latency"], always_open=options["always_open"])
        except StateFolderBusy as exc:
            raise CommandError(str(exc)) from None
