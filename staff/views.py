from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services as account_services
from accounts.models import Invitation, User
from assistants import services as engagement_services
from assistants.models import Engagement
from clients.models import Membership
from vapportal.models import AuditEvent
from vapportal.params import typed_text

from .forms import EngagementAuthorityForm, EngagementForm, HandOverForm, StaffInvitationForm

PAGE_SIZE = 50


def staff_required(view):
    """The console does not exist for anyone but admins: others get 404."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@staff_required
def accounts(request):
    query = typed_text(request.GET.get("q"), max_length=100)
    users = User.objects.select_related("assistant_profile").prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("organization"))
    )
    if query:
        users = users.filter(Q(email__icontains=query) | Q(full_name__icontains=query))
    page = Paginator(users.order_by("full_name", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/accounts.html",
        {"page": page, "query": query, "query_string": urlencode({"q": query}) if query else ""},
    )


@staff_required
@require_POST
def account_reactivate(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    try:
        account_services.user_set_active(actor=request.user, user=user, active=True)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{user} was reactivated.")
    return redirect("staff:accounts")


@staff_required
@require_http_methods(["GET", "POST"])
def account_deactivate(request, pk: int):
    """GET asks to confirm and says what deactivating does; POST does it."""
    user = get_object_or_404(User.objects.select_related("assistant_profile"), pk=pk)
    if request.method == "POST":
        try:
            account_services.user_set_active(actor=request.user, user=user, active=False)
        except ValueError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{user} was deactivated.")
        return redirect("staff:accounts")
    if not user.is_active:
        messages.info(request, f"{user} is already deactivated.")
        return redirect("staff:accounts")
    engagements = Engagement.objects.active().filter(assistant=user).select_related("organization")
    return render(
        request,
        "staff/account_deactivate.html",
        {
            "account": user,
            "engagements": engagements,
            "open_tasks": user.assigned_tasks.open().count() if engagements else 0,
            "memberships": user.memberships.select_related("organization"),
        },
    )


@staff_required
def invitations(request):
    page = Paginator(
        Invitation.objects.select_related("organization", "invited_by"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "staff/invitations.html", {"page": page})


@staff_required
@require_http_methods(["GET", "POST"])
def invitation_new(request):
    form = StaffInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invitation = account_services.invitation_create(actor=request.user, **form.cleaned_data)
        messages.success(request, f"An invitation is on its way to {invitation.email}.")
        return redirect("staff:invitations")
    return render(request, "staff/invitation_form.html", {"form": form})


@staff_required
@require_POST
def invitation_resend(request, pk: int):
    invitation = get_object_or_404(Invitation, pk=pk)
    try:
        account_services.invitation_resend(actor=request.user, invitation=invitation)
    except account_services.InvitationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The invitation to {invitation.email} was sent again.")
    return redirect("staff:invitations")


@staff_required
@require_POST
def invitation_revoke(request, pk: int):
    invitation = get_object_or_404(Invitation, pk=pk)
    try:
        account_services.invitation_revoke(actor=request.user, invitation=invitation)
    except account_services.InvitationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The invitation to {invitation.email} was revoked.")
    return redirect("staff:invitations")


@staff_required
def engagements(request):
    show_ended = request.GET.get("show") == "ended"
    rows = Engagement.objects.select_related("assistant", "organization")
    rows = rows.filter(ended_at__isnull=not show_ended)
    page = Paginator(rows.order_by("organization__name", "-role", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "staff/engagements.html", {"page": page, "show_ended": show_ended})


@staff_required
@require_http_methods(["GET", "POST"])
def engagement_new(request):
    form = EngagementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            engagement = engagement_services.engagement_create(
                actor=request.user,
                assistant=data.pop("assistant"),
                organization=data.pop("organization"),
                **data,
            )
        except engagement_services.EngagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{engagement} is engaged.")
            return redirect("staff:engagements")
    return render(request, "staff/engagement_form.html", {"form": form})


@staff_required
@require_http_methods(["GET", "POST"])
def engagement_edit(request, pk: int):
    engagement = get_object_or_404(
        Engagement.objects.active().select_related("assistant", "organization"), pk=pk
    )
    form = EngagementAuthorityForm(request.POST or None, instance=engagement)
    if request.method == "POST" and form.is_valid():
        try:
            engagement_services.engagement_update(
                actor=request.user, engagement=engagement, **form.cleaned_data
            )
        except engagement_services.EngagementError as error:
            form.add_error(None, str(error))
            engagement.refresh_from_db()
        else:
            messages.success(request, f"The authority of {engagement} was saved.")
            return redirect("staff:engagements")
    return render(request, "staff/engagement_form.html", {"form": form, "engagement": engagement})


@staff_required
@require_http_methods(["GET", "POST"])
def engagement_end(request, pk: int):
    """GET asks to confirm and says what goes back to the pool; POST ends the engagement."""
    engagement = get_object_or_404(
        Engagement.objects.select_related("assistant", "organization"), pk=pk
    )
    if request.method == "POST":
        moved = engagement_services.engagement_end(actor=request.user, engagement=engagement)
        messages.success(
            request,
            f"{engagement.assistant}'s engagement with {engagement.organization} has ended"
            + (f"; back to the pool: {moved.describe()}." if moved.clients else "."),
        )
        return redirect("staff:engagements")
    if not engagement.is_active:
        messages.info(request, f"{engagement} has already ended.")
        return redirect("staff:engagements")
    return render(
        request,
        "staff/engagement_end.html",
        {
            "engagement": engagement,
            "work": engagement_services.engagement_end_preview(engagement=engagement),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def hand_over(request):
    """The form; then, with the two assistants chosen (GET), the confirm page with what will
    move; its POST hands over, and the page says what moved."""
    if request.method == "POST":
        data = request.POST
    else:  # the form sends both; a link from another page may name the first alone
        data = request.GET if "to_assistant" in request.GET else None
    form = HandOverForm(data, initial={"from_assistant": request.GET.get("from_assistant")})
    if form.is_valid():
        source, target = form.cleaned_data["from_assistant"], form.cleaned_data["to_assistant"]
        try:
            if request.method == "POST":
                moved = engagement_services.engagements_hand_over(
                    actor=request.user, from_assistant=source, to_assistant=target
                )
                return render(request, "staff/hand_over_done.html", {"work": moved})
            work = engagement_services.hand_over_preview(from_assistant=source, to_assistant=target)
            return render(request, "staff/hand_over_confirm.html", {"form": form, "work": work})
        except engagement_services.EngagementError as error:
            form.add_error(None, str(error))
    return render(request, "staff/hand_over.html", {"form": form})


@staff_required
def audit(request):
    page = Paginator(
        AuditEvent.objects.select_related("actor", "organization"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "staff/audit.html", {"page": page})
