import hmac
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Prefetch, Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from assistants.models import Authority, Engagement
from clients.lookups import organization_from_request
from clients.models import Organization
from tasks.models import Task
from travel.models import RoutineTrip
from vapportal.params import id_or_404, typed_text

from . import services
from .forms import (
    AUTHORITY_CHOICES,
    ContactForm,
    DocumentForm,
    DraftForm,
    ImportForm,
    LogForm,
    SettingsForm,
    VendorForm,
    WriteForm,
)
from .models import AuthorityChange, Contact, Message, Vendor, VendorDocument
from .services import InboundError, VendorError

PAGE_SIZE = 50


def _vendor(request, pk: int) -> Vendor:
    return get_object_or_404(
        Vendor.objects.visible_to(request.user).select_related("organization"), pk=pk
    )


def _message(request, pk: int) -> Message:
    return get_object_or_404(
        Message.objects.visible_to(request.user).select_related(
            "organization", "vendor", "contact", "task", "written_by", "on_behalf_of", "approved_by"
        ),
        pk=pk,
    )


@login_required
def vendor_list(request):
    organization = organization_from_request(request)
    query = typed_text(request.GET.get("q"), max_length=100)
    vendors = Vendor.objects.filter(organization=organization)
    if query:
        vendors = vendors.filter(
            Q(name__icontains=query) | Q(category__icontains=query) | Q(works_with__icontains=query)
        )
    if request.GET.get("status") in Vendor.Status.values:
        vendors = vendors.filter(status=request.GET["status"])
    vendors = vendors.annotate(
        contact_count=Count("contacts", distinct=True), last_message=Max("messages__happened_at")
    ).order_by("name", "id")
    page = Paginator(vendors, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "vendors/list.html",
        {
            "organization": organization,
            "organizations": Organization.objects.visible_to(request.user).order_by("name"),
            "page": page,
            "query": query,
            "query_string": urlencode({"organization": organization.pk, "q": query}),
            "drafts": Message.objects.filter(
                organization=organization, status=Message.Status.DRAFT
            ).count(),
            "inbox": Message.objects.filter(
                organization=organization, direction=Message.Direction.IN, vendor__isnull=True
            ).count(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def vendor_edit(request, pk: int | None = None):
    vendor = _vendor(request, pk) if pk else Vendor(organization=organization_from_request(request))
    if not services.may_manage(request.user, vendor.organization):
        raise Http404
    form = VendorForm(request.POST or None, instance=vendor)
    if request.method == "POST" and form.is_valid():
        try:
            vendor = services.vendor_save(actor=request.user, vendor=form.save(commit=False))
        except VendorError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Vendor saved.")
            return redirect(vendor)
    return render(request, "vendors/form.html", {"form": form, "vendor": vendor, "title": "Vendor"})


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk: int | None = None, contact_pk: int | None = None):
    if contact_pk:
        contact = get_object_or_404(
            Contact.objects.filter(
                vendor__in=Vendor.objects.visible_to(request.user)
            ).select_related("vendor__organization"),
            pk=contact_pk,
        )
    else:
        contact = Contact(vendor=_vendor(request, pk))
    vendor = contact.vendor
    if not services.may_manage(request.user, vendor.organization):
        raise Http404
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        services.contact_save(actor=request.user, contact=form.save(commit=False))
        messages.success(request, "Contact saved.")
        return redirect(vendor)
    return render(
        request, "vendors/form.html", {"form": form, "vendor": vendor, "title": "Contact"}
    )


@login_required
def vendor_detail(request, pk: int):
    """The vendor, its contacts and documents, and its correspondence, searchable."""
    vendor = _vendor(request, pk)
    query = typed_text(request.GET.get("q"), max_length=100)
    correspondence = vendor.messages.select_related("contact", "written_by", "approved_by", "task")
    if query:
        correspondence = correspondence.filter(
            Q(subject__icontains=query) | Q(body__icontains=query)
        )
    page = Paginator(correspondence.order_by("-happened_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    contacts = list(vendor.contacts.all())
    is_assistant = services.engagement_of(request.user, vendor.organization) is not None
    yours = (
        services.authorities_for(request.user, vendor, [None, *contacts])
        if services.may_manage(request.user, vendor.organization)
        else {}
    )
    # An assistant reads what they may do; the owner, what each engaged assistant may do.
    assistants = {} if is_assistant else services.engaged_authorities(vendor, [None, *contacts])
    for contact in contacts:
        contact.your_authority = yours.get(contact, "")
        contact.assistant_authorities = assistants.get(contact, [])
    return render(
        request,
        "vendors/detail.html",
        {
            "vendor": vendor,
            "contacts": contacts,
            "documents": vendor.documents.all(),
            "page": page,
            "query": query,
            "query_string": urlencode({"q": query}) if query else "",
            "is_assistant": is_assistant,
            "your_authority": yours.get(None, ""),
            "may_write": any(authority not in ("", Authority.NONE) for authority in yours.values()),
            "refusal": services.refusal_reason(vendor, None) if is_assistant else "",
            "assistant_authorities": assistants.get(None, []),
            "log_form": LogForm(),
            "document_form": DocumentForm(),
        },
    )


@login_required
@require_POST
def document_add(request, pk: int):
    vendor = _vendor(request, pk)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a file.")
        return redirect(vendor)
    try:
        services.document_add(actor=request.user, vendor=vendor, upload=form.cleaned_data["file"])
    except PermissionDenied as error:
        raise Http404 from error
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Document added.")
    return redirect(vendor)


@login_required
def document_download(request, pk: int):
    document = get_object_or_404(
        VendorDocument.objects.filter(vendor__in=Vendor.objects.visible_to(request.user)), pk=pk
    )
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.name,
        content_type=document.content_type,
    )


@login_required
@require_http_methods(["GET", "POST"])
def vendor_import(request):
    organization = organization_from_request(request)
    if not services.may_manage(request.user, organization):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = services.vendors_import_csv(
                actor=request.user,
                organization=organization,
                content=form.cleaned_data["file"].read(),
            )
        except VendorError as error:
            form.add_error("file", str(error))
    return render(
        request,
        "vendors/import.html",
        {"form": form, "organization": organization, "report": report},
    )


@login_required
@require_http_methods(["GET", "POST"])
def authority_page(request):
    """Who may write to whom as the owner, on one page, with every change to it."""
    organization = organization_from_request(request)
    is_client = services.is_client(request.user, organization)
    if not (is_client or services.engagement_of(request.user, organization)):
        raise Http404
    if request.method == "POST":
        if not is_client:
            raise Http404
        vendor = get_object_or_404(
            Vendor, organization=organization, pk=id_or_404(request.POST.get("vendor"))
        )
        contact = (
            get_object_or_404(Contact, vendor=vendor, pk=id_or_404(request.POST["contact"]))
            if request.POST.get("contact")
            else None
        )
        try:
            services.authority_set(
                actor=request.user,
                vendor=vendor,
                contact=contact,
                authority=request.POST.get("authority", ""),
            )
        except VendorError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Saved for {contact or vendor}.")
        return redirect(f"{request.path}?organization={organization.pk}")
    engagements = (
        Engagement.objects.active().filter(organization=organization).select_related("assistant")
    )
    vendors = Vendor.objects.filter(organization=organization).prefetch_related("contacts")
    return render(
        request,
        "vendors/authority.html",
        {
            "organization": organization,
            "engagements": engagements,
            "vendors": vendors,
            "choices": AUTHORITY_CHOICES,
            "is_client": is_client,
            "changes": AuthorityChange.objects.filter(
                vendor__organization=organization
            ).select_related("vendor", "contact", "actor")[:50],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def vendor_settings(request):
    organization = organization_from_request(request)
    if not services.is_client(request.user, organization):
        raise Http404
    form = SettingsForm(request.POST or None, instance=services.settings_for(organization))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved.")
        return redirect(f"{request.path}?organization={organization.pk}")
    return render(
        request, "vendors/form.html", {"form": form, "title": "How vendor email goes out"}
    )


@login_required
@require_http_methods(["GET", "POST"])
def write(request, pk: int):
    """The compose form, offering only whom this writer may write to; where the authority is
    "never" the page says why and offers no form."""
    vendor = _vendor(request, pk)
    if not services.may_manage(request.user, vendor.organization):
        raise Http404
    task = None
    if request.GET.get("task"):
        task = get_object_or_404(
            Task.objects.visible_to(request.user),
            pk=id_or_404(request.GET["task"]),
            organization=vendor.organization,
        )
    thread = None
    if request.GET.get("reply_to"):
        thread = get_object_or_404(
            Message.objects.select_related("contact"),
            organization=vendor.organization,
            pk=id_or_404(request.GET["reply_to"]),
        )
    chosen = thread.contact if thread else None
    if request.GET.get("contact"):
        chosen = get_object_or_404(Contact, vendor=vendor, pk=id_or_404(request.GET["contact"]))
    choice = services.writing_choice(request.user, vendor, chosen)
    if choice.refusal:
        return render(
            request,
            "vendors/write.html",
            {
                "vendor": vendor,
                "task": task,
                "refused": chosen or vendor,
                "refusal": choice.refusal,
            },
        )
    initial = {"cc_owner": services.settings_for(vendor.organization).copy_owner}
    if thread:
        initial["subject"] = (
            thread.subject if thread.subject.lower().startswith("re:") else f"Re: {thread.subject}"
        )
    if chosen is not None:
        initial["contact"] = chosen
    form = WriteForm(
        request.POST or None,
        vendor=vendor,
        contacts=choice.contacts,
        any_address=choice.any_address,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            message = services.message_write(
                actor=request.user,
                vendor=vendor,
                contact=data["contact"],
                to_address=data["to_address"],
                subject=data["subject"],
                body=data["body"],
                task=task,
                cc_owner=data["cc_owner"],
                thread=thread,
            )
        except VendorError as error:
            form.add_error(None, str(error))
        else:
            sent = message.status == Message.Status.SENT
            messages.success(request, "Sent." if sent else "Sent to the owner for approval.")
            return redirect(message)
    return render(
        request,
        "vendors/write.html",
        {
            "form": form,
            "vendor": vendor,
            "task": task,
            "authority": choice.authority,
        },
    )


@login_required
def write_for_task(request):
    """From a task's page: the vendor chosen there, with the task to record it on."""
    vendor = _vendor(request, id_or_404(request.GET.get("vendor")))
    task = get_object_or_404(
        Task.objects.visible_to(request.user),
        pk=id_or_404(request.GET.get("task")),
        organization=vendor.organization,
    )
    return redirect(f"{reverse('vendors:write', args=[vendor.pk])}?task={task.pk}")


@login_required
@require_POST
def log(request, pk: int):
    vendor = _vendor(request, pk)
    form = LogForm(request.POST)
    task_id = request.POST.get("task") or request.GET.get("task")
    task = (
        get_object_or_404(
            Task.objects.visible_to(request.user),
            pk=id_or_404(task_id),
            organization=vendor.organization,
        )
        if task_id
        else None
    )
    if form.is_valid():
        try:
            services.message_log(actor=request.user, vendor=vendor, task=task, **form.cleaned_data)
        except PermissionDenied as error:
            raise Http404 from error
        except VendorError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Logged.")
    else:
        messages.error(request, "Say what it was about and when.")
    return redirect(task or vendor)


@login_required
def message_detail(request, pk: int):
    message = _message(request, pk)
    is_client = services.is_client(request.user, message.organization)
    can_reply = (
        message.vendor is not None
        and message.direction == Message.Direction.IN
        and services.may_manage(request.user, message.organization)
        and services.authority_for(request.user, message.vendor, message.contact) != Authority.NONE
    )
    return render(
        request,
        "vendors/message.html",
        {
            "message": message,
            "is_client": is_client,
            "can_reply": can_reply,
            "draft_form": DraftForm(initial={"subject": message.subject, "body": message.body}),
            "vendors": Vendor.objects.filter(organization=message.organization)
            if message.vendor_id is None
            else [],
        },
    )


def _decide(request, message: Message, decision: str):
    if decision == "approve":
        form = DraftForm(request.POST)
        if not form.is_valid():
            raise VendorError("Write a subject and a message, each subject on one line.")
        services.message_approve(
            actor=request.user,
            message=message,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
        )
        return "Approved and sent."
    note = typed_text(request.POST.get("note"), max_length=300)
    services.message_reject(actor=request.user, message=message, note=note)
    return "Rejected: it will not be sent."


@login_required
@require_POST
def message_decide(request, pk: int, decision: str):
    message = _message(request, pk)
    try:
        done = _decide(request, message, decision)
    except PermissionDenied as error:
        raise Http404 from error
    except VendorError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect(message)


@login_required
@require_http_methods(["GET", "POST"])
def approve_link(request, token: str):
    """The draft's link in the owner's email: the draft, to approve (perhaps edited) or reject."""
    try:
        message = services.message_from_approval_token(token)
    except VendorError as error:
        return render(request, "link_invalid.html", {"reason": error}, status=410)
    if not services.is_client(request.user, message.organization):
        raise Http404
    if request.method == "POST":
        try:
            done = _decide(request, message, request.POST.get("decision", "approve"))
        except VendorError as error:
            return render(request, "link_invalid.html", {"reason": error}, status=410)
        messages.success(request, done)
        return redirect(message)
    return render(
        request,
        "vendors/approve.html",
        {
            "message": message,
            "form": DraftForm(initial={"subject": message.subject, "body": message.body}),
        },
    )


@login_required
@require_POST
def message_file(request, pk: int):
    message = _message(request, pk)
    vendor = get_object_or_404(
        Vendor, organization=message.organization, pk=id_or_404(request.POST.get("vendor"))
    )
    try:
        services.message_file(actor=request.user, message=message, vendor=vendor)
    except PermissionDenied as error:
        raise Http404 from error
    messages.success(request, f"Filed under {vendor}.")
    return redirect(message)


@login_required
def inbox(request):
    organization = organization_from_request(request)
    if not services.may_manage(request.user, organization):
        raise Http404
    unfiled = Message.objects.filter(
        organization=organization, direction=Message.Direction.IN, vendor__isnull=True
    ).order_by("-happened_at")
    return render(
        request,
        "vendors/inbox.html",
        {
            "organization": organization,
            "page": Paginator(unfiled, PAGE_SIZE).get_page(request.GET.get("page")),
        },
    )


@login_required
def review(request):
    """The owner's week: what went out on their behalf, by vendor, drafts waiting on top."""
    organization = organization_from_request(request)
    if not services.is_client(request.user, organization):
        raise Http404
    since = timezone.now() - timedelta(days=7)
    mine = Message.objects.filter(organization=organization).select_related(
        "vendor", "written_by", "approved_by"
    )
    sent = mine.filter(
        direction=Message.Direction.OUT, status=Message.Status.SENT, happened_at__gte=since
    ).order_by("vendor__name", "-happened_at")
    by_vendor: dict = {}
    for message in sent:
        by_vendor.setdefault(message.vendor, []).append(message)
    return render(
        request,
        "vendors/review.html",
        {
            "organization": organization,
            "drafts": mine.filter(status=Message.Status.DRAFT).order_by("created_at"),
            "by_vendor": by_vendor.items(),
            "since": since,
        },
    )


@login_required
def hand_over_summary(request):
    """For the assistant taking a client over: open tasks, routines, vendors with their last
    conversation, and what they may do."""
    organization = organization_from_request(request)
    engagement = services.engagement_of(request.user, organization)
    if engagement is None and not request.user.is_staff:
        raise Http404
    latest = Message.objects.order_by("-happened_at", "-id")
    vendors = (
        Vendor.objects.filter(organization=organization)
        .exclude(status=Vendor.Status.FORMER)
        .prefetch_related(Prefetch("messages", queryset=latest[:1], to_attr="latest"))
    )
    return render(
        request,
        "vendors/hand_over.html",
        {
            "organization": organization,
            "engagement": engagement,
            "tasks": Task.objects.open()
            .filter(organization=organization)
            .select_related("organization", "assignee")
            .in_queue_order()[:50],
            "routines": RoutineTrip.objects.filter(organization=organization).exclude(
                state=RoutineTrip.State.ENDED
            ),
            "vendors": vendors,
        },
    )


@csrf_exempt
@require_POST
def inbound(request):
    """Raw RFC 822 messages from an MTA pipe or an email provider's inbound webhook."""
    secret = settings.VENDOR_INBOUND_SECRET
    given = request.headers.get("X-Inbound-Secret", "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return JsonResponse({"error": "Not authorized."}, status=401)
    # Read up to the limit ourselves: request.body stops at Django's 2.5 MB form limit.
    raw = request.read(services.INBOUND_MAX_BYTES + 1)
    try:
        message, created = services.inbound_receive(raw)
    except InboundError as error:
        return JsonResponse({"error": str(error)}, status=error.status)
    return JsonResponse({"id": message.pk, "stored": created}, status=201 if created else 200)
