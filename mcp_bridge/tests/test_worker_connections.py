"""Tool calls run on worker threads that keep a database connection between calls; a worker that
stops leaves its connection behind, and the next call closes it (a busy HTTP process otherwise held
several times TIGERMCP_MCP_THREADS connections, and PostgreSQL refused new ones)."""

import threading

import anyio
import pytest
from django.db import connections

from mcp_bridge.context import run_service

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_connection_of_a_stopped_worker_is_closed_by_the_next_call():
    seen = []

    def use_the_database():
        wrapper = connections["default"]  # this thread's own (not the proxy that follows the caller's)
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
        seen.append((threading.current_thread(), wrapper))

    anyio.run(run_service, use_the_database)  # the loop ends: anyio stops its worker
    [(worker, wrapper)] = seen
    worker.join(10)
    assert not worker.is_alive() and wrapper.connection is not None  # left open by the stopped worker

    anyio.run(run_service, use_the_database)
    assert wrapper.connection is None
    assert seen[1][0] is not worker and seen[1][1].connection is not None  # the live worker keeps its own
    seen[1][1].inc_thread_sharing()
    seen[1][1].close()  # its worker has stopped too: not left open for the test database's teardown
