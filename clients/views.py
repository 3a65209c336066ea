from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from assistants.models import Engagement

from . import services
from .forms import OrganizationSettingsForm, RosterImportForm, TeamMemberForm
from .lookups import organization_from_request
from .models import Membership, Organization, TeamMember


def _get_organization_for_user(user, pk: int) -> Organization:
    return get_object_or_404(Organization.objects.visible_to(user), pk=pk)


def _get_team_member_for_user(user, pk: int) -> TeamMember:
    return get_object_or_404(
        TeamMember.objects.visible_to(user).select_related("organization"), pk=pk
    )


def _can_manage(user, organization: Organization) -> bool:
    """Owners, managers and admins keep the roster; assistants read it."""
    return user.is_staff or organization.memberships.filter(user=user).exists()


def _is_owner(user, organization: Organization) -> bool:
    return organization.memberships.filter(user=user, role=Membership.Role.OWNER).exists()


@login_required
def organization_detail(request, pk: int):
    organization = get_object_or_404(
        Organization.objects.visible_to(request.user).prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("user")),
            Prefetch(
                "engagements",
                queryset=Engagement.objects.active().select_related("assistant"),
                to_attr="active_engagements",
            ),
        ),
        pk=pk,
    )
    return render(
        request,
        "clients/organization_detail.html",
        {
            "organization": organization,
            "can_edit": _is_owner(request.user, organization) or request.user.is_staff,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_settings(request, pk: int):
    """Only an owner (or an admin) changes the organization's name and time zone."""
    organization = _get_organization_for_user(request.user, pk)
    if not (_is_owner(request.user, organization) or request.user.is_staff):
        raise Http404
    form = OrganizationSettingsForm(
        request.POST or None, instance=organization, editor=request.user
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "The organization's settings were saved.")
        return redirect("clients:organization_detail", pk=organization.pk)
    return render(
        request, "clients/organization_settings.html", {"form": form, "organization": organization}
    )


@login_required
def roster(request):
    organization = organization_from_request(request)
    members = TeamMember.objects.filter(organization=organization)
    if request.GET.get("show") != "all":
        members = members.filter(active=True)
    page = Paginator(members.order_by("name", "id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "clients/roster.html",
        {
            "organization": organization,
            "organizations": Organization.objects.visible_to(request.user),
            "page": page,
            "show_all": request.GET.get("show") == "all",
            "query_string": _roster_query(organization, show=request.GET.get("show", "")),
            "can_manage": _can_manage(request.user, organization),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_member_new(request):
    organization = organization_from_request(request)
    if not _can_manage(request.user, organization):
        raise Http404
    form = TeamMemberForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        member = services.team_member_save(actor=request.user, member=form.instance)
        messages.success(request, f"{member.name} was added to the team.")
        return _back_to_roster(organization)
    return render(
        request,
        "clients/team_member_form.html",
        {"form": form, "organization": organization, "cancel_url": _roster_url(organization)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_member_edit(request, pk: int):
    member = _get_team_member_for_user(request.user, pk)
    if not _can_manage(request.user, member.organization):
        raise Http404
    form = TeamMemberForm(request.POST or None, instance=member, organization=member.organization)
    if request.method == "POST" and form.is_valid():
        services.team_member_save(actor=request.user, member=form.instance)
        messages.success(request, f"{member.name} was saved.")
        return _back_to_roster(member.organization)
    return render(
        request,
        "clients/team_member_form.html",
        {
            "form": form,
            "organization": member.organization,
            "member": member,
            "cancel_url": _roster_url(member.organization),
        },
    )


@login_required
@require_POST
def team_member_set_active(request, pk: int, active: bool):
    member = _get_team_member_for_user(request.user, pk)
    if not _can_manage(request.user, member.organization):
        raise Http404
    services.team_member_set_active(actor=request.user, member=member, active=active)
    verb = "reactivated" if active else "deactivated; they no longer receive the check-in"
    messages.success(request, f"{member.name} was {verb}.")
    return _back_to_roster(member.organization)


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request):
    organization = organization_from_request(request)
    if not _can_manage(request.user, organization):
        raise Http404
    form = RosterImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = services.roster_import_csv(
                actor=request.user,
                organization=organization,
                content=form.cleaned_data["file"].read(),
            )
        except services.RosterImportError as error:
            form.add_error("file", str(error))
    return render(
        request,
        "clients/roster_import.html",
        {
            "form": form,
            "organization": organization,
            "report": report,
            "cancel_url": _roster_url(organization),
        },
        status=400 if form.errors else 200,
    )


def _roster_query(organization: Organization, show: str = "") -> str:
    return urlencode({"organization": organization.pk} | ({"show": show} if show else {}))


def _roster_url(organization: Organization) -> str:
    return f"{reverse('roster:list')}?{_roster_query(organization)}"


def _back_to_roster(organization: Organization):
    return redirect(_roster_url(organization))
