from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Prefetch, Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control, never_cache
from django.views.defaults import page_not_found

from accounts.models import Invitation, User
from assistants.models import Engagement
from checkins import services as checkin_services
from clients.models import Membership, Organization
from tasks import dashboards
from travel.dashboards import travel_dashboard

from .celery import app as celery_app
from .models import AuditEvent


def refused(request, exception=None):
    """Every PermissionDenied a view lets out ends here (`handler403`) as the very 404 a
    missing object gets, so a refusal never confirms that the object exists. (A failed CSRF
    check has its own view and stays a 403.)"""
    return page_not_found(request, Http404())


@login_required
def home(request):
    """The dashboard for the person's role."""
    user = request.user
    if user.is_staff:
        return render(request, "dashboard/admin.html", _admin_dashboard())
    if hasattr(user, "assistant_profile"):
        engagements = (
            Engagement.objects.active()
            .filter(assistant=user, organization__active=True)
            .select_related("organization")
        )
        return render(
            request,
            "dashboard/assistant.html",
            {
                "engagements": engagements,
                **dashboards.assistant_dashboard(user),
                **travel_dashboard(user),
            },
        )
    organizations = (
        Organization.objects.managed_by(user)
        .annotate(
            roster_size=Count("team_members", filter=Q(team_members__active=True), distinct=True)
        )
        .prefetch_related(
            Prefetch(
                "engagements",
                queryset=Engagement.objects.active().select_related("assistant"),
                to_attr="active_engagements",
            ),
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(user=user),
                to_attr="my_memberships",
            ),
        )
    )
    context = {**dashboards.owner_dashboard(user, organizations), **travel_dashboard(user)}
    todays = checkin_services.todays_checkins(context["organizations"])
    for organization in context["organizations"]:
        organization.todays_checkin = todays.get(organization.pk)
    return render(request, "dashboard/owner.html", context)


def _admin_dashboard() -> dict:
    return {
        "user_count": User.objects.filter(is_active=True).count(),
        "organization_count": Organization.objects.filter(active=True).count(),
        "engagement_count": Engagement.objects.active().count(),
        "pending_invitations": Invitation.objects.pending().count(),
        "recent_events": AuditEvent.objects.select_related("actor", "organization")[:10],
        "thanks_by_assistant": dashboards.thanks_by_assistant(),
    }


@login_required
def help_page(request):
    """How the portal works, for every role; renders the layout and reads nothing else."""
    return render(request, "help.html")


@cache_control(max_age=24 * 3600, public=True)
def favicon(request):
    """Browsers and tools that ask for /favicon.ico (pages link the icon themselves) get the
    portal's icon. Not a permanent redirect: the icon's address changes with its content."""
    return redirect(static("favicon.svg"))


@never_cache
def healthz(request):
    """Whether the database and the Celery broker answer; 503 when either does not."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable"}
    body.update({name: "ok" if ok else "unreachable" for name, ok in checks.items()})
    return JsonResponse(body, status=200 if healthy else 503)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False
