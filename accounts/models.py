import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.encryption import EncryptedTextField, is_sealed
from accounts.grant_copies import permissions_changed
from accounts.private_keys import private_key_message
from core.errors import CredentialError
from core.fingerprints import fingerprint  # noqa: F401 - shown for credentials (admin, audit)


UNREADABLE = ("cannot be decrypted: set FIELD_ENCRYPTION_KEYS to the keys that encrypted the data "
              "(if they are lost, enter all three credentials again)")


class Environment(models.TextChoices):
    PAPER = "paper", "Paper"
    LIVE = "live", "Live"


class Scope(models.TextChoices):
    READ = "read", "Read"
    TRADE = "trade", "Trade"


class AccountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DISABLED = "disabled", "Disabled"


class PermissionRowsQuerySet(models.QuerySet):
    """Rows the access check reads (accounts, grants, MCP clients): a bulk write drops every process's
    copy of its result once it commits, as save() and delete() do through their signals (accounts.apps)."""

    def update(self, **kwargs):
        permissions_changed(self.db)
        return super().update(**kwargs)

    def bulk_create(self, *args, **kwargs):
        permissions_changed(self.db)
        return super().bulk_create(*args, **kwargs)

    def bulk_update(self, *args, **kwargs):
        permissions_changed(self.db)
        return super().bulk_update(*args, **kwargs)


class TigerAccountQuerySet(PermissionRowsQuerySet):
    def update(self, **kwargs):
        # updated_at is the row's version: accounts.selectors and broker.client keep rows and clients
        # by (pk, updated_at), so a bulk update moves it as save() does (auto_now does not run here).
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)


class TigerAccount(models.Model):
    label = models.CharField(max_length=100)
    account_number = models.CharField(max_length=64, unique=True)
    environment = models.CharField(max_length=5, choices=Environment.choices, default=Environment.PAPER)
    # Live orders need this AND settings.TIGER_LIVE_TRADING_ENABLED (see can_trade_live).
    live_trading_enabled = models.BooleanField(default=False)
    tiger_id = EncryptedTextField(blank=True)
    private_key = EncryptedTextField(blank=True)
    license = EncryptedTextField(blank=True)
    # Blank: Tiger's own gateway. Set: another gateway speaking Tiger's protocol (the simulator).
    server_url = models.URLField(blank=True, max_length=300)
    gateway_public_key = models.TextField(blank=True, help_text="Public key the gateway signs replies with; blank for Tiger's own.")
    status = models.CharField(max_length=10, choices=AccountStatus.choices, default=AccountStatus.ACTIVE)
    is_default = models.BooleanField(default=False)
    permission = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    base_currency = models.CharField(max_length=3, default="USD")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SECRET_FIELDS = ("tiger_id", "private_key", "license")

    objects = TigerAccountQuerySet.as_manager()

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_account"),
        ]

    def __str__(self):
        return f"{self.label} ({self.account_number}, {self.environment})"

    def _sealed_secrets(self, exclude) -> set[str]:
        # A secret still sealed is the stored one, checked when it was saved (and again before a
        # broker client signs with it): validation neither decrypts nor re-checks it, so the other
        # fields can change whatever the keys (an account can be disabled under the wrong keys).
        return {*(exclude or ()), *(name for name in self.SECRET_FIELDS if is_sealed(self, name))}

    def clean_fields(self, exclude=None):
        super().clean_fields(exclude=self._sealed_secrets(exclude))

    def clean(self):
        super().clean()
        if not is_sealed(self, "private_key") and self.private_key:
            message = private_key_message(self.private_key)
            if message:
                raise ValidationError({"private_key": message})

    def validate_constraints(self, exclude=None):
        exclude = self._sealed_secrets(exclude)
        # Making this account the default moves the flag from the old default (account_save does it
        # in the same transaction), so another default is not an input error; the database still
        # refuses two defaults.
        if self.is_default:
            exclude.add("is_default")
        super().validate_constraints(exclude=exclude)

    @property
    def is_live(self) -> bool:
        return self.environment == Environment.LIVE

    def can_trade_live(self) -> bool:
        return self.is_live and self.live_trading_enabled and settings.TIGER_LIVE_TRADING_ENABLED

    def fingerprints(self) -> dict[str, str]:
        """For display: a value no configured key opens shows as such (the page still renders)."""
        shown = {}
        for name in self.SECRET_FIELDS:
            try:
                shown[name] = fingerprint(getattr(self, name))
            except CredentialError as exc:
                shown[name] = UNREADABLE if exc.code == "undecryptable" else exc.message
        return shown


class HashedToken(models.Model):
    """A bearer token stored only as its SHA-256; the plain value is shown once, at creation."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    TOKEN_PREFIX = "tok"

    class Meta:
        abstract = True

    @staticmethod
    def hash(plain: str) -> str:
        return hashlib.sha256(plain.encode()).hexdigest()

    @classmethod
    def new_plain(cls) -> str:
        return f"{cls.TOKEN_PREFIX}_{secrets.token_urlsafe(32)}"

    def set_plain(self, plain: str) -> None:
        self.prefix = plain[:10]
        self.token_hash = self.hash(plain)

    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class ApiToken(HashedToken):
    """A REST API client. Its access is its own AccessGrants, not its owner's; but it works only while
    its owner (if it has one) is an active user, and is deleted with them."""

    TOKEN_PREFIX = "tmapi"

    class Meta:
        verbose_name = "API token"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)

    def is_usable(self) -> bool:
        return super().is_usable() and (self.owner is None or self.owner.is_active)

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class McpClient(models.Model):
    """An MCP client identity (Claude Desktop on a laptop, a team's Claude Code...)."""

    class Meta:
        verbose_name = "MCP client"

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PermissionRowsQuerySet.as_manager()

    def __str__(self):
        return self.name


class McpToken(HashedToken):
    """Bearer token for the MCP HTTP transport; authenticates as its client."""

    TOKEN_PREFIX = "tmmcp"

    class Meta:
        verbose_name = "MCP token"
    client = models.ForeignKey(McpClient, on_delete=models.CASCADE, related_name="tokens")

    def is_usable(self) -> bool:
        return super().is_usable() and self.client.is_active

    def __str__(self):
        return f"{self.client.name}: {self.name} ({self.prefix}…)"


class AccessGrant(models.Model):
    """Grants one holder (a user, an API token or an MCP client) an account with a scope."""

    account = models.ForeignKey(TigerAccount, on_delete=models.CASCADE, related_name="grants")
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="account_grants")
    api_token = models.ForeignKey(ApiToken, null=True, blank=True, on_delete=models.CASCADE, related_name="grants")
    mcp_client = models.ForeignKey(McpClient, null=True, blank=True, on_delete=models.CASCADE, related_name="grants")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PermissionRowsQuerySet.as_manager()

    HOLDERS = ("user", "api_token", "mcp_client")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, api_token__isnull=True, mcp_client__isnull=True)
                    | Q(user__isnull=True, api_token__isnull=False, mcp_client__isnull=True)
                    | Q(user__isnull=True, api_token__isnull=True, mcp_client__isnull=False)
                ),
                name="grant_has_exactly_one_holder",
            ),
            models.UniqueConstraint(fields=["account", "user"], condition=Q(user__isnull=False), name="one_grant_per_user"),
            models.UniqueConstraint(fields=["account", "api_token"], condition=Q(api_token__isnull=False), name="one_grant_per_token"),
            models.UniqueConstraint(fields=["account", "mcp_client"], condition=Q(mcp_client__isnull=False), name="one_grant_per_client"),
        ]

    @property
    def holder(self):
        return self.user or self.api_token or self.mcp_client

    def __str__(self):
        return f"{self.holder} → {self.account.account_number} ({self.scope})"
