"""What each role sees first on the dashboard; every figure is a fixed number of queries."""

from datetime import timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from .models import Acknowledgement, BudgetRequest, RunningTimer, Status, Task
from .queue import end_of_local_day, engaged_organization_ids, queue_for
from .timesheets import minutes_used, month_bounds


def owner_dashboard(user, organizations) -> dict:
    now = timezone.now()
    week_ago = now - timedelta(days=7)
    organizations = list(
        organizations.annotate(
            # distinct: the caller's queryset already joins other rows (the roster).
            open_tasks=Count(
                "tasks",
                filter=Q(tasks__status__in=[Status.NEW, Status.IN_PROGRESS]),
                distinct=True,
            ),
            waiting_on_you=Count("tasks", filter=Q(tasks__status=Status.WAITING), distinct=True),
            done_this_week=Count(
                "tasks",
                filter=Q(tasks__status=Status.DONE, tasks__completed_at__gte=week_ago),
                distinct=True,
            ),
        )
    )
    for organization in organizations:
        start, end = month_bounds(organization, timezone.localdate(timezone=organization.zone))
        organization.minutes_this_month = minutes_used(organization, start, end)
        organization.plan_minutes = organization.monthly_plan_hours * 60
        organization.month = start
    ids = [organization.pk for organization in organizations]
    return {
        "organizations": organizations,
        "waiting_tasks": Task.objects.filter(organization_id__in=ids, status=Status.WAITING)
        .select_related("organization", "assignee")
        .order_by("updated_at")[:10],
        "budgets": Task.objects.open()
        .filter(organization_id__in=ids, budget_minutes__isnull=False)
        .annotate(logged=Sum("time_entries__minutes"))
        .select_related("organization")
        .order_by("-updated_at")[:10],
        "budget_requests": BudgetRequest.objects.filter(
            task__organization_id__in=ids, decision=BudgetRequest.Decision.PENDING
        ).select_related("task", "requested_by"),
    }


def assistant_dashboard(user) -> dict:
    now = timezone.now()
    ids = engaged_organization_ids(user)
    mine = Task.objects.open().filter(organization_id__in=ids)
    return {
        "queue_head": queue_for(user, now=now).select_related("organization", "assignee")[:5],
        "due_today": mine.filter(
            assignee=user, due_at__gte=now, due_at__lt=end_of_local_day(now, user.timezone)
        )
        .select_related("organization")
        .order_by("due_at")[:10],
        "overdue": mine.filter(Q(assignee=user) | Q(assignee__isnull=True), due_at__lt=now)
        .select_related("organization", "assignee")
        .order_by("due_at")[:10],
        "waiting_on_clients": mine.filter(assignee=user, status=Status.WAITING)
        .select_related("organization")
        .order_by("updated_at")[:10],
        "timer": RunningTimer.objects.shown_to(user).select_related("task").first(),
        "thanks": Acknowledgement.objects.filter(to_user=user)
        .select_related("from_user", "task")
        .order_by("-created_at")[:5],
    }


def thanks_by_assistant():
    """For admins: how often each assistant was thanked, most first."""
    from accounts.models import User

    return (
        User.objects.filter(assistant_profile__isnull=False)
        .annotate(thanks_count=Count("thanks_received"))
        .filter(thanks_count__gt=0)
        .order_by("-thanks_count", "full_name")[:20]
    )
