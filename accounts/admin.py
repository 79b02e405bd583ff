"""Admin for accounts, grants and tokens: a door onto accounts.services.

Secrets are write-only: the form never renders a stored value (only its fingerprint), and leaving a
secret field blank keeps the stored one.
"""

import copy
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group

from accounts.actors import Actor
from accounts.models import AccessGrant, AccountStatus, ApiToken, McpClient, McpToken, TigerAccount
from accounts.services import (
    account_save,
    account_set_status,
    api_token_create,
    grant_change,
    grant_revoke,
    grant_set,
    group_delete,
    group_save,
    mcp_client_create,
    mcp_client_update,
    mcp_token_create,
    token_revoke,
    token_update,
    user_delete,
    user_save,
    user_set_password,
)
from core.errors import ApplicationError


def admin_actor(request) -> Actor:
    return Actor.for_user(request.user, door="admin", request_id=getattr(request, "request_id", None))


class WriteOnlyTextarea(forms.Textarea):
    """Never renders a value, not even the one just posted back on a form error."""

    def format_value(self, value):
        return None


class WriteOnlySecret(forms.CharField):
    widget = forms.PasswordInput(render_value=False)

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(strip=True, **kwargs)


class TigerAccountForm(forms.ModelForm):
    tiger_id = WriteOnlySecret(help_text="Leave blank to keep the stored value.")
    private_key = WriteOnlySecret(
        widget=WriteOnlyTextarea(attrs={"rows": 4, "autocomplete": "off"}),
        help_text="RSA private key (PEM or base64 body). Leave blank to keep the stored key.",
    )
    license = WriteOnlySecret(help_text="TBUS, TBHK, TBSG, TBNZ or TBAU. Leave blank to keep the stored value.")

    class Meta:
        model = TigerAccount
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A Textarea would render the stored value: never pre-fill a secret.
        for name in TigerAccount.SECRET_FIELDS:
            self.initial[name] = ""

    def _post_clean(self):
        for name in TigerAccount.SECRET_FIELDS:
            if not self.cleaned_data.get(name) and self.instance.pk:
                # The stored value as stored (still encrypted): keeping it needs no key.
                self.cleaned_data[name] = TigerAccount._meta.get_field(name).value_from_object(self.instance)
        super()._post_clean()

    @property
    def changed_secret_fields(self):
        return [n for n in TigerAccount.SECRET_FIELDS if self.data.get(n)]


@admin.register(TigerAccount)
class TigerAccountAdmin(admin.ModelAdmin):
    form = TigerAccountForm
    list_display = ["label", "account_number", "environment", "permission", "status", "is_default", "live_trading_enabled"]
    list_filter = ["environment", "permission", "status", "is_default"]
    search_fields = ["label", "account_number"]
    readonly_fields = ["credential_fingerprints", "created_at", "updated_at"]
    actions = ["disable_accounts", "enable_accounts"]
    fieldsets = [
        (None, {"fields": ["label", "account_number", "environment", "permission", "status", "is_default", "base_currency"]}),
        ("Credentials (write-only)", {"fields": ["tiger_id", "private_key", "license", "credential_fingerprints"]}),
        ("Gateway", {"fields": ["server_url", "gateway_public_key"], "classes": ["collapse"]}),
        ("Live trading", {"fields": ["live_trading_enabled"], "description": "Live orders also need TIGER_LIVE_TRADING_ENABLED=true."}),
        ("Times", {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(description="Stored credentials")
    def credential_fingerprints(self, obj):
        if obj.pk is None:
            return "—"
        return ", ".join(f"{k}: {v}" for k, v in obj.fingerprints().items())

    def save_model(self, request, obj, form, change):
        changed = [f for f in form.changed_data if f not in TigerAccount.SECRET_FIELDS] + form.changed_secret_fields
        account_save(actor=admin_actor(request), account=obj, changed=changed)

    def delete_model(self, request, obj):
        self.message_user(request, "Accounts are not deleted (their orders and audit stay): disable it instead.", messages.ERROR)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Disable selected accounts")
    def disable_accounts(self, request, queryset):
        n = account_set_status(actor=admin_actor(request), accounts=queryset, status=AccountStatus.DISABLED)
        self.message_user(request, f"Disabled {n} account(s).")

    @admin.action(description="Enable selected accounts")
    def enable_accounts(self, request, queryset):
        n = account_set_status(actor=admin_actor(request), accounts=queryset, status=AccountStatus.ACTIVE)
        self.message_user(request, f"Enabled {n} account(s).")


@admin.register(AccessGrant)
class AccessGrantAdmin(admin.ModelAdmin):
    list_display = ["account", "scope", "user", "api_token", "mcp_client", "created_at"]
    list_filter = ["scope", "account"]
    list_select_related = ["account", "user", "api_token", "mcp_client"]
    search_fields = ["account__account_number", "account__label", "user__username", "api_token__name", "mcp_client__name"]

    def save_model(self, request, obj, form, change):
        holder = {"account": obj.account, "scope": obj.scope, "user": obj.user, "api_token": obj.api_token,
                  "mcp_client": obj.mcp_client}
        try:
            if change:
                grant = grant_change(actor=admin_actor(request), grant=obj, **holder)
            else:
                grant = grant_set(actor=admin_actor(request), **holder)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = grant.pk

    def delete_model(self, request, obj):
        grant_revoke(actor=admin_actor(request), grant=obj)

    def delete_queryset(self, request, queryset):
        for grant in queryset:
            grant_revoke(actor=admin_actor(request), grant=grant)


class TokenAdmin(admin.ModelAdmin):
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    list_display = ["name", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    actions = ["revoke"]
    create_service = None

    def save_model(self, request, obj, form, change):
        if change:
            try:
                token_update(actor=admin_actor(request), token=obj)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            return
        token, plain = self.create(request, obj)
        obj.pk = token.pk
        self.message_user(request, f"Token created. Copy it now, it will not be shown again: {plain}", messages.WARNING)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(actor=admin_actor(request), token=token)
        self.message_user(request, "Revoked.")


@admin.register(ApiToken)
class ApiTokenAdmin(TokenAdmin):
    fields = ["name", "owner", "expires_at"] + TokenAdmin.readonly_fields

    def create(self, request, obj):
        return api_token_create(actor=admin_actor(request), name=obj.name, owner=obj.owner, expires_at=obj.expires_at)


@admin.register(McpToken)
class McpTokenAdmin(TokenAdmin):
    fields = ["name", "client", "expires_at"] + TokenAdmin.readonly_fields
    list_display = ["client"] + TokenAdmin.list_display
    list_select_related = ["client"]

    def create(self, request, obj):
        return mcp_token_create(actor=admin_actor(request), client=obj.client, name=obj.name, expires_at=obj.expires_at)


@admin.register(McpClient)
class McpClientAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "created_at"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        try:
            if change:
                mcp_client_update(actor=admin_actor(request), client=obj)
            else:
                obj.pk = mcp_client_create(actor=admin_actor(request), name=obj.name, description=obj.description,
                                           is_active=obj.is_active).pk
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def has_delete_permission(self, request, obj=None):
        # Deleting would take its tokens and grants with it, unrecorded: deactivate it instead.
        return False


# --- Django's users and groups, through accounts.services like every other change ------------------

class AuditedPasswordChangeForm(AdminPasswordChangeForm):
    def __init__(self, user, *args, actor: Actor, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.actor = actor

    def save(self, commit=True):
        password = self.cleaned_data["password1"] if self.cleaned_data.get("set_usable_password", True) else None
        return user_set_password(actor=self.actor, user=self.user, password=password)


User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AuditedUserAdmin(UserAdmin):
    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            user_save(actor=admin_actor(request), user=obj, changed=form.changed_data,
                      groups=data["groups"] if "groups" in data else None,
                      permissions=data["user_permissions"] if "user_permissions" in data else None)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def save_related(self, request, form, formsets, change):
        # user_save has set the groups and permissions, under the user's event.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        user_delete(actor=admin_actor(request), user=obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            user_delete(actor=admin_actor(request), user=user)

    def user_change_password(self, request, id, form_url=""):
        # Django builds the form as self.change_password_form(user, data): a per-request copy of this
        # admin hands it the acting user, so the password is set by user_set_password.
        door = copy.copy(self)
        door.change_password_form = partial(AuditedPasswordChangeForm, actor=admin_actor(request))
        return UserAdmin.user_change_password(door, request, id, form_url)


@admin.register(Group)
class AuditedGroupAdmin(GroupAdmin):
    def save_model(self, request, obj, form, change):
        group_save(actor=admin_actor(request), group=obj, changed=form.changed_data,
                   permissions=form.cleaned_data["permissions"] if "permissions" in form.cleaned_data else None)

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        group_delete(actor=admin_actor(request), group=obj)

    def delete_queryset(self, request, queryset):
        for group in queryset:
            group_delete(actor=admin_actor(request), group=group)
