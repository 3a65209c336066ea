from decimal import Decimal

from django.db import migrations, models


def approved_totals_from_booked_trips(apps, schema_editor):
    """A booked or completed trip the owner approved was approved at no less than it costs
    now (a change over the approved amount went back to the owner), so its total is a safe
    approved amount. Trips with segments in other currencies keep none: nothing to compare."""
    Trip = apps.get_model("travel", "Trip")
    approved = Trip.objects.filter(
        approved_by__isnull=False, status__in=["booked", "completed"]
    ).prefetch_related("segments")
    for trip in approved:
        live = [s for s in trip.segments.all() if s.status != "cancelled"]
        if all(s.currency == trip.currency for s in live):
            trip.approved_total = sum((s.cost for s in live), Decimal("0"))
            trip.save(update_fields=["approved_total"])


class Migration(migrations.Migration):
    dependencies = [
        ("travel", "0002_routinetrip_edited_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="trip",
            name="approved_total",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True),
        ),
        migrations.RunPython(approved_totals_from_booked_trips, migrations.RunPython.noop),
    ]
