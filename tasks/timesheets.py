"""Time against the plan, counted in the organization's own calendar month."""

from datetime import date, datetime, time

from django.db.models import Sum

from clients.models import Organization

from .models import TimeEntry


def month_bounds(organization: Organization, month: date) -> tuple[datetime, datetime]:
    first = month.replace(day=1)
    following = (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )
    zone = organization.zone
    return datetime.combine(first, time.min, tzinfo=zone), datetime.combine(
        following, time.min, tzinfo=zone
    )


def time_entries_for_month(organization: Organization, start: datetime, end: datetime):
    return (
        TimeEntry.objects.filter(organization=organization, logged_at__gte=start, logged_at__lt=end)
        .select_related("task", "assistant")
        .order_by("logged_at", "id")
    )


def minutes_used(organization: Organization, start: datetime, end: datetime) -> int:
    return (
        TimeEntry.objects.filter(
            organization=organization, logged_at__gte=start, logged_at__lt=end
        ).aggregate(total=Sum("minutes"))["total"]
        or 0
    )
