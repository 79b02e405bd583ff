#!/usr/bin/env python
import os
import sys


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
