from django.urls import path

from accounts.api import AccountListApi, AuditEventListApi

urlpatterns = [
    path("accounts/", AccountListApi.as_view(), name="api-accounts"),
    path("audit/", AuditEventListApi.as_view(), name="api-audit"),
]
