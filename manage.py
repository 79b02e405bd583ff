#!/usr/bin/env python
import gc
import os
import sys

if sys.argv[1:2] == ["run_mcp"]:
    # Start-up makes a few hundred thousand objects that live as long as the process (modules,
    # models, schemas); the collector would walk them again and again meanwhile (~130 ms of CPU here,
    # a tenth of the time to the first tools/list). run_mcp freezes them and turns it back on once
    # its server is built (mcp_bridge.management.commands.run_mcp.collector_resume).
    gc.disable()


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tigermcp.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from core.errors import ApplicationError

    try:
        execute_from_command_line(sys.argv)
    except (ApplicationError, ImproperlyConfigured) as exc:
        if "--traceback" in sys.argv:
            raise
        # Any command (Django's own too, e.g. loaddata under the wrong keys): a configuration error or
        # one of ours already says what to do, and a traceback would bury it (and could carry values).
        sys.stderr.write(f"Error: {getattr(exc, 'message', None) or exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
