import re
from pathlib import PurePath
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from assistants.models import Authority
from clients.lookups import organization_from_request
from clients.models import Organization
from vapportal.dates import moment_text
from vapportal.params import typed_text
from vapportal.templatetags.portal import markdown

from . import services
from .forms import QUICK_STARTS, CheckInForm, CheckInSettingsForm, DeclineForm
from .models import CheckIn, Delivery
from .services import CheckInError

PAGE_SIZE = 25
NOT_ALLOWED = (
    "Your engagement lets you draft check-ins for the owner's approval, not send or schedule "
    "them: submit it for approval."
)


def _checkin(request, pk: int) -> CheckIn:
    return get_object_or_404(
        CheckIn.objects.visible_to(request.user).select_related(
            "organization", "written_by", "on_behalf_of", "approved_by"
        ),
        pk=pk,
    )


@login_required
def checkin_list(request):
    """Past and coming check-ins, newest first, searchable, with their delivery counts."""
    query = typed_text(request.GET.get("q"), max_length=200)
    checkins = CheckIn.objects.visible_to(request.user).select_related("organization", "written_by")
    if query:
        checkins = checkins.filter(
            Q(subject__icontains=query)
            | Q(message__icontains=query)
            | Q(thanks__icontains=query)
            | Q(new_process__icontains=query)
        )
    page = Paginator(checkins.with_delivery_counts().order_by("-created_at", "-id"), PAGE_SIZE)
    return render(
        request,
        "checkins/list.html",
        {
            "page": page.get_page(request.GET.get("page")),
            "query": query,
            "query_string": urlencode({"q": query}) if query else "",
        },
    )


def _compose(request, organization: Organization, checkin: CheckIn | None = None):
    authority = services.authority_of(request.user, organization)
    if authority == Authority.NONE:
        raise Http404
    action = request.POST.get("action", "draft")
    initial = {}
    if checkin is None:
        initial = QUICK_STARTS.get(request.GET.get("start"), {})
    else:
        initial = {
            "subject": checkin.subject,
            "message": checkin.message,
            "thanks": checkin.thanks,
            "new_process": checkin.new_process,
            "video_url": checkin.video_url,
            "recipients": checkin.recipients,
            "locations": checkin.locations,
            "people": list(checkin.people.all()),
            "send_on": checkin.send_on,
        }
    form = CheckInForm(
        request.POST or None,
        request.FILES or None,
        organization=organization,
        action=action,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if checkin is None:
                checkin = services.checkin_write(
                    actor=request.user,
                    organization=organization,
                    content=form.content(),
                    action=form.action,
                    send_on=form.cleaned_data["send_on"],
                )
            else:
                checkin = services.checkin_edit(
                    actor=request.user,
                    checkin=checkin,
                    content=form.content(),
                    action=form.action,
                    send_on=form.cleaned_data["send_on"],
                )
        except CheckInError as error:
            form.add_error(None, str(error))
        except PermissionDenied:
            form.add_error(None, NOT_ALLOWED)
        else:
            messages.success(request, _saved_message(checkin))
            return redirect(checkin)
    return render(
        request,
        "checkins/form.html",
        {
            "form": form,
            "organization": organization,
            "organizations": _writable_organizations(request.user) if checkin is None else [],
            "checkin": checkin,
            "can_send": authority == Authority.SEND,
            "quick_starts": QUICK_STARTS,
        },
    )


def _writable_organizations(user) -> list[Organization]:
    return [
        organization
        for organization in Organization.objects.visible_to(user).order_by("name")
        if services.authority_of(user, organization) != Authority.NONE
    ]


def _saved_message(checkin: CheckIn) -> str:
    """Sent now, a check-in is still "scheduled" (for this moment) until the worker starts it:
    only one due later is announced as scheduled, with its day and time where it is sent
    (named when that is not the writer's clock)."""
    if checkin.status == CheckIn.Status.SCHEDULED and checkin.send_at > timezone.now():
        return f"Scheduled for {moment_text(checkin.send_at, checkin.organization.zone)}."
    return {
        CheckIn.Status.DRAFT: "Saved as a draft.",
        CheckIn.Status.AWAITING_APPROVAL: "Sent to the owner for approval.",
    }.get(checkin.status, "Going out now.")


@login_required
@require_http_methods(["GET", "POST"])
def checkin_new(request):
    return _compose(request, organization_from_request(request))


@login_required
@require_http_methods(["GET", "POST"])
def checkin_edit(request, pk: int):
    checkin = _checkin(request, pk)
    if not checkin.is_editable:
        messages.error(request, "This check-in can no longer be changed.")
        return redirect(checkin)
    return _compose(request, checkin.organization, checkin)


@login_required
def checkin_detail(request, pk: int):
    """The check-in and its report: every recipient as sent, pending or failed."""
    checkin = _checkin(request, pk)
    deliveries = (
        checkin.deliveries.select_related("team_member")
        .annotate(
            rank=Case(
                When(status=Delivery.Status.FAILED, then=Value(0)),
                When(status=Delivery.Status.SENT, then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "team_member__name", "id")
    )
    deliveries = list(deliveries)
    counts = dict.fromkeys(Delivery.Status.values, 0)
    for delivery in deliveries:
        counts[delivery.status] += 1
    authority = services.authority_of(request.user, checkin.organization)
    return render(
        request,
        "checkins/detail.html",
        {
            "checkin": checkin,
            "deliveries": deliveries,
            "counts": counts,
            "pending": counts["queued"] + counts["sending"],
            "events": checkin.events.select_related("actor"),
            "people": checkin.people.all() if checkin.recipients == "people" else [],
            "is_client": services.is_client(request.user, checkin.organization),
            "can_write": authority != Authority.NONE,
            "can_send": authority == Authority.SEND,
            "decline_form": DeclineForm(),
        },
    )


@login_required
@require_POST
def checkin_act(request, pk: int, action: str):
    """Submit for approval, approve, decline or cancel from the check-in's page."""
    checkin = _checkin(request, pk)
    act = {
        "submit": lambda: services.checkin_submit(actor=request.user, checkin=checkin),
        "approve": lambda: services.checkin_approve(actor=request.user, checkin=checkin),
        "decline": lambda: services.checkin_decline(
            actor=request.user,
            checkin=checkin,
            note=typed_text(request.POST.get("note"), max_length=300),
        ),
        "cancel": lambda: services.checkin_cancel(actor=request.user, checkin=checkin),
    }[action]
    try:
        checkin = act()
    except PermissionDenied as error:
        raise Http404 from error
    except CheckInError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _saved_message(checkin) if action != "cancel" else "Cancelled.")
    return redirect(checkin)


@login_required
@require_http_methods(["GET", "POST"])
def approve_link(request, token: str):
    """The link in the approval email: it shows the check-in and asks to confirm."""
    try:
        checkin = services.checkin_from_approval_token(token)
    except CheckInError as error:
        return render(request, "link_invalid.html", {"reason": error}, status=410)
    if not CheckIn.objects.visible_to(request.user).filter(pk=checkin.pk).exists():
        raise Http404
    if not services.is_client(request.user, checkin.organization):
        raise Http404
    if request.method == "POST":
        try:
            checkin = services.checkin_approve(actor=request.user, checkin=checkin)
        except CheckInError as error:
            return render(request, "link_invalid.html", {"reason": error}, status=410)
        messages.success(request, _saved_message(checkin))
        return redirect(checkin)
    return render(request, "checkins/approve.html", {"checkin": checkin})


@login_required
@require_http_methods(["GET", "POST"])
def checkin_settings(request):
    organization = organization_from_request(request)
    if not services.is_client(request.user, organization):
        raise Http404
    checkin_settings = services.checkin_settings_for(organization)
    form = CheckInSettingsForm(request.POST or None, instance=checkin_settings)
    if request.method == "POST" and form.is_valid():
        services.checkin_settings_update(
            actor=request.user, checkin_settings=checkin_settings, **form.changes()
        )
        messages.success(request, "Check-in settings saved.")
        return redirect(f"{request.path}?organization={organization.pk}")
    return render(
        request,
        "checkins/settings.html",
        {
            "form": form,
            "organization": organization,
            "organizations": Organization.objects.visible_to(request.user).order_by("name"),
        },
    )


@login_required
@require_POST
def preview(request):
    """The message as the team will see it (htmx)."""
    return HttpResponse(markdown(request.POST.get("message", "")))


BYTE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# A range answer holds at most this much; players ask again for the rest.
RANGE_CHUNK = 8 * 1024 * 1024


def _video_response(request, checkin: CheckIn) -> HttpResponse:
    """An uploaded video, played in the page (inline), never a public file. Answers byte
    ranges, which Safari and iPhones ask for before they play a video."""
    if not checkin.video:
        raise Http404
    content_type = checkin.video_content_type or "application/octet-stream"
    size = checkin.video.size
    wanted = BYTE_RANGE.match(request.headers.get("Range", ""))
    if wanted is None or wanted.groups() == ("", ""):
        response = FileResponse(
            checkin.video.open("rb"),
            content_type=content_type,
            filename=f"check-in-{checkin.pk}{PurePath(checkin.video.name).suffix}",
        )
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = wanted.groups()
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    else:  # the last N bytes
        start, end = max(size - int(last), 0), size - 1
    end = min(end, start + RANGE_CHUNK - 1)
    if start > end or start >= size:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    with checkin.video.open("rb") as video:
        video.seek(start)
        response = HttpResponse(video.read(end - start + 1), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response


@login_required
def checkin_video(request, pk: int):
    return _video_response(request, _checkin(request, pk))


def read(request, token: str):
    """The check-in as a web page for a team member: no login, a signed link."""
    try:
        delivery = services.delivery_from_archive_token(token)
    except CheckInError as error:
        return render(request, "link_invalid.html", {"reason": error}, status=410)
    return render(
        request,
        "checkins/read.html",
        {
            "checkin": delivery.checkin,
            "delivery": delivery,
            "token": token,
            "earlier": services.earlier_deliveries(delivery),
        },
    )


def read_video(request, token: str):
    try:
        delivery = services.delivery_from_archive_token(token)
    except CheckInError as error:
        return render(request, "link_invalid.html", {"reason": error}, status=410)
    return _video_response(request, delivery.checkin)
