import pytest


@pytest.fixture(autouse=True)
def audit_checkpoint(settings, tmp_path):
    """Each test its own checkpoint file: the database is reset between tests, the file would not be."""
    settings.AUDIT_CHECKPOINT_PATH = tmp_path / "audit_checkpoint.log"
    return settings.AUDIT_CHECKPOINT_PATH
