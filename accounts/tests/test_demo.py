import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from accounts.demo import demo_admin_ensure


@pytest.mark.django_db
def test_demo_admin_is_created_once_with_a_kept_password(tmp_path):
    user, password = demo_admin_ensure(data_dir=tmp_path)
    assert authenticate(RequestFactory().post("/admin/login/"), username=user, password=password).is_superuser
    again = demo_admin_ensure(data_dir=tmp_path)
    assert again == (user, password)
    assert oct((tmp_path / "demo_admin_password").stat().st_mode & 0o777) == "0o600"
