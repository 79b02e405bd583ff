from django.urls import path

from accounts.api import AccountListApi

urlpatterns = [
    path("accounts/", AccountListApi.as_view(), name="api-accounts"),
]
