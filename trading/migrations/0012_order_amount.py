from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('trading', '0011_future_orders'),
    ]

    operations = [
        migrations.AddField(
            model_name='order',
            name='amount',
            field=models.DecimalField(blank=True, decimal_places=6, max_digits=24, null=True),
        ),
    ]
