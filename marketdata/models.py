from django.db import models

from accounts.models import TigerAccount


class HealthStatus(models.TextChoices):
    OK = "ok", "OK"
    FAILING = "failing", "Failing"
    CIRCUIT_OPEN = "circuit_open", "Circuit open"
    UNKNOWN = "unknown", "Not checked yet"


class AccountHealth(models.Model):
    """The latest health check of one account (one row per account, updated in place)."""

    account = models.OneToOneField(TigerAccount, on_delete=models.CASCADE, related_name="health")
    status = models.CharField(max_length=12, choices=HealthStatus.choices, default=HealthStatus.UNKNOWN)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_code = models.CharField(max_length=50, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    checked_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "account health"
        ordering = ["account__label"]

    def __str__(self):
        return f"{self.account.account_number}: {self.status}"


class PortfolioSnapshot(models.Model):
    """The combined portfolio of every account at one moment, for the dashboard.

    Totals are in `base_currency`; `data` holds the per-account results, combined positions,
    exposure and per-account errors with every amount as a decimal string beside its currency."""

    taken_at = models.DateTimeField(db_index=True)
    base_currency = models.CharField(max_length=3)
    net_liquidation = models.DecimalField(max_digits=24, decimal_places=4)
    cash = models.DecimalField(max_digits=24, decimal_places=4)
    market_value = models.DecimalField(max_digits=24, decimal_places=4)
    unrealized_pnl = models.DecimalField(max_digits=24, decimal_places=4)
    realized_pnl = models.DecimalField(max_digits=24, decimal_places=4)
    accounts_ok = models.PositiveIntegerField()
    accounts_failed = models.PositiveIntegerField()
    duration_ms = models.PositiveIntegerField()
    data = models.JSONField()
    # {"accounts": {number: {"net_liquidation", "currency"}}, "fx_rates": {...}}: what the dashboard's
    # value-over-time chart reads from a day of snapshots, in a column of its own so that it never
    # loads (or de-TOASTs) `data` with every position.
    account_values = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-taken_at"]
        get_latest_by = "taken_at"

    def __str__(self):
        return f"{self.taken_at:%Y-%m-%d %H:%M} {self.net_liquidation} {self.base_currency}"
