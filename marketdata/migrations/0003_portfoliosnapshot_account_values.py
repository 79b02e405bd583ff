from decimal import Decimal

from django.db import migrations, models


def backfill(apps, schema_editor):
    # The same shape as marketdata.services.portfolio.snapshot_account_values (a migration keeps its own copy).
    PortfolioSnapshot = apps.get_model("marketdata", "PortfolioSnapshot")
    for snapshot in PortfolioSnapshot.objects.iterator(chunk_size=100):
        data = snapshot.data or {}
        accounts = {a["account_number"]: {"net_liquidation": a.get("net_liquidation"), "currency": a["currency"]}
                    for a in data.get("accounts", [])}
        totals = {}
        for acc in accounts.values():
            if acc["net_liquidation"] not in (None, ""):
                totals[acc["currency"]] = totals.get(acc["currency"], Decimal(0)) + Decimal(str(acc["net_liquidation"]))
        snapshot.account_values = {"accounts": accounts, "numbers": sorted(accounts),
                                   "totals": {c: str(v) for c, v in totals.items()}, "fx_rates": data.get("fx_rates") or {}}
        snapshot.save(update_fields=["account_values"])


class Migration(migrations.Migration):
    dependencies = [("marketdata", "0002_default_periodic_tasks")]

    operations = [
        migrations.AddField(model_name="portfoliosnapshot", name="account_values",
                            field=models.JSONField(blank=True, default=dict)),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
