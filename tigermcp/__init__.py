import sys

# `run_mcp` uses no Celery while it starts and answers tools/list: it loads the app (about 80 ms of
# imports) at its first use (core.tasks.celery_app, which the tasks modules call). Every other
# process (web, worker, beat, tests) loads it here, as Celery's Django set-up expects.
if sys.argv[1:2] == ["run_mcp"]:
    def __getattr__(name):
        if name == "celery_app":
            from tigermcp.celery import app

            return app
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
else:
    from tigermcp.celery import app as celery_app

__all__ = ["celery_app"]
