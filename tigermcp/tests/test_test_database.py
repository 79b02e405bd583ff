"""The suite's own isolation: each run gets a test database of its own name."""

import pytest
from django.db import connection

from tigermcp.testing import TEST_RUN_ID


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_test_database_is_named_for_this_run_alone():
    # Two runs on one server would otherwise both create, use and finally drop test_<NAME>.
    assert connection.settings_dict["NAME"].endswith(f"_{TEST_RUN_ID}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone()[0] == connection.settings_dict["NAME"]
