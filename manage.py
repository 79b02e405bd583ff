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
    # Pydantic builds each model's validator and serializer when the class is defined: about 600 models
    # here (the MCP SDK's protocol types for two protocol versions, ours), most of which a session never
    # uses, ~0.1 s of the time to the first tools/list. Deferred, each is built at its first use, under
    # pydantic's rebuild lock (safe from the HTTP transport's worker threads). pydantic has no public
    # switch for every model at once: where its private defaults table is gone, models build eagerly as
    # before, which is only slower.
    try:
        from pydantic._internal._config import config_defaults
    except ImportError:
        config_defaults = {}
    if "defer_build" in config_defaults:
        config_defaults["defer_build"] = True


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
