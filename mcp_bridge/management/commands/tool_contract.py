"""Write mcp_bridge/tool_contract.json, the tool list as published, from the tools' code.

run_mcp lists the tools from that file rather than generating their schemas at each start
(mcp_bridge.server.build_tools), and test_tool_contract asserts the file equals what the code generates.
After changing a tool's name, description, parameters, result model or annotations, run this and review
the file's diff: it is the change the assistants will see.
"""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Write mcp_bridge/tool_contract.json (the published tool list) from the tools' code."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="Write nothing; fail if the file differs from what the code generates.")

    def handle(self, *args, **options):
        from mcp_bridge.server import CONTRACT, contract_text, tools_generate

        text = contract_text(tools_generate())
        current = CONTRACT.read_text(encoding="utf-8") if CONTRACT.exists() else None
        if options["check"]:
            if current != text:
                raise CommandError(f"{CONTRACT} differs from the tools' code: run manage.py tool_contract.")
            self.stdout.write(f"{CONTRACT} is up to date.")
            return
        if current != text:
            CONTRACT.write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {CONTRACT}: review its diff, it is the tool list assistants see.")
        else:
            self.stdout.write(f"{CONTRACT} is up to date.")
