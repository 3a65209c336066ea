from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from clients.models import Organization
from vapportal.params import id_or_none

from .. import services
from ..forms import (
    AttachmentForm,
    BudgetRequestForm,
    CommentForm,
    MoveForm,
    TaskForm,
    TaskSearchForm,
    ThanksForm,
    TimeEntryForm,
    TimerStopForm,
)
from ..lookups import (
    get_attachment_for_user,
    get_budget_request_for_user,
    get_checklist_item_for_user,
    get_pending_upload_for_user,
    get_pending_uploads_for_user,
    get_task_for_user,
)
from ..models import (
    OPEN_STATUSES,
    BudgetRequest,
    PendingUpload,
    RunningTimer,
    Status,
    Task,
    TaskEvent,
    minutes_text,
)
from ..permissions import is_client, is_engaged_assistant
from ..queue import TaskPaginator, running_timer
from ..search import search_tasks

PAGE_SIZE = 25


def _organizations_for_new_task(user):
    """Clients the person may delegate in: their own, or those they assist."""
    return Organization.objects.worked_in_by(user)


@login_required
def task_list(request):
    """Tasks the person may see, open ones unless asked otherwise; `?status=waiting&
    organization=<id>` is what waits on a client's answer (the owner's dashboard links it)."""
    organizations = Organization.objects.visible_to(request.user).order_by("name")
    form = TaskSearchForm(request.GET or None, organizations=organizations)
    tasks = Task.objects.visible_to(request.user)
    status = query = ""
    if form.is_valid():
        status, query = form.cleaned_data["status"], form.cleaned_data["q"].strip()
        if form.cleaned_data["organization"] is not None:
            tasks = tasks.filter(organization=form.cleaned_data["organization"])
    if status == "":
        tasks = tasks.filter(status__in=OPEN_STATUSES)
    elif status != "all":
        tasks = tasks.filter(status=status)
    if query:
        tasks = search_tasks(tasks, query)
    page = TaskPaginator(tasks.in_queue_order(), PAGE_SIZE).get_page(
        request.GET.get("page"), after=request.GET.get("after")
    )
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("after", None)
    return render(
        request,
        "tasks/task_list.html",
        {
            "page": page,
            "form": form,
            "query_string": params.urlencode(),
            "clients": list(organizations.only("pk", "name")),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_new(request):
    organizations = _organizations_for_new_task(request.user)
    if not organizations.exists():
        raise PermissionDenied
    # A link from a project's page names the project (and milestone) the task is for.
    initial = {
        key: request.GET[key]
        for key in ("project", "milestone")
        if id_or_none(request.GET.get(key)) is not None
    }
    form = TaskForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        organizations=organizations,
        initial=initial,
    )
    if request.method == "GET":
        return render(request, "tasks/task_form.html", {"form": form})
    kept = get_pending_uploads_for_user(request.user, request.POST.getlist("kept_upload"))
    if request.POST.get("remove_upload"):
        removed = get_pending_upload_for_user(request.user, request.POST["remove_upload"])
        services.pending_upload_remove(actor=request.user, upload=removed)
        kept = [upload for upload in kept if upload.pk != removed.pk]
        form.is_valid()  # the page shows what is still to fix
    elif form.is_valid():
        data = form.cleaned_data
        try:
            task = services.task_create(
                actor=request.user,
                organization=data["organization"],
                requested_by=data.get("requested_by"),
                title=data["title"],
                details=data["details"],
                category=data["category"],
                priority=data["priority"],
                due_at=data["due_at"],
                budget_minutes=data["budget_minutes"],
                checklist=data["checklist"],
                attachments=data["attachments"],
                kept_uploads=kept,
                project=data["project"],
                milestone=data["milestone"],
            )
        except services.TaskError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, f"“{task.title}” is delegated. You can stop thinking about it."
            )
            return redirect("tasks:detail", pk=task.pk)
    # The form comes back: the files sent with it are kept, so they need not be chosen again.
    kept += services.pending_uploads_keep(
        actor=request.user, uploads=request.FILES.getlist("attachments")
    )
    # Listed as they are now: one the daily clean-up took a moment ago is gone.
    kept = PendingUpload.objects.visible_to(request.user).filter(pk__in=[u.pk for u in kept])
    return render(
        request,
        "tasks/task_form.html",
        {"form": form, "kept_uploads": kept},
        status=400 if form.errors else 200,
    )


@login_required
def pending_upload_download(request, pk: int):
    """A file kept from a task form, for the person who sent it only."""
    upload = get_pending_upload_for_user(request.user, pk)
    return _file_response(upload.file, upload.name, upload.content_type)


@login_required
def task_detail(request, pk: int):
    task = get_task_for_user(request.user, pk)
    return render(request, "tasks/task_detail.html", _detail_context(request, task))


def _detail_context(request, task: Task, **forms) -> dict:
    from vendors.services import vendors_writable_by

    user = request.user
    client, assistant = (
        is_client(user, task.organization),
        is_engaged_assistant(user, task.organization),
    )
    logged = task.time_entries.aggregate(total=Sum("minutes"))["total"] or 0
    checklist = list(task.checklist.all())
    thanks = list(task.acknowledgements.select_related("from_user"))
    return {
        "task": task,
        "is_client": client,
        "is_assistant": assistant,
        "checklist": checklist,
        "checklist_done": sum(1 for item in checklist if item.done),
        "attachments": task.attachments.all(),
        "comments": task.comments.select_related("author"),
        "events": task.events.select_related("actor"),
        "time_entries": task.time_entries.select_related("assistant")[:20],
        "logged_minutes": logged,
        "over_budget": task.budget_minutes is not None and logged >= task.budget_minutes,
        "pending_budget_request": task.budget_requests.filter(
            decision=BudgetRequest.Decision.PENDING
        ).first(),
        "thanks": thanks,
        "moves": _moves_for(task, assistant=assistant),
        "question": task.events.filter(kind=TaskEvent.Kind.MOVED, to_status=Status.WAITING).last()
        if task.status == Status.WAITING
        else None,
        "comment_form": forms.get("comment_form") or CommentForm(),
        "time_form": forms.get("time_form") or TimeEntryForm(),
        "budget_form": forms.get("budget_form") or BudgetRequestForm(),
        "thanks_form": forms.get("thanks_form") or ThanksForm(),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "already_thanked": any(ack.from_user_id == user.pk for ack in thanks),
        "trip": getattr(task, "trip", None),
        "correspondence": task.vendor_messages.select_related("vendor").order_by("-happened_at")[
            :20
        ],
        "timer": RunningTimer.objects.shown_to(user).select_related("task").first()
        if assistant
        else None,
        "vendors": vendors_writable_by(
            user,
            list(
                task.organization.vendors.exclude(status="former")
                .select_related("organization")
                .prefetch_related("contacts")
            ),
        )
        if assistant or client
        else [],
    }


def _moves_for(task: Task, *, assistant: bool) -> list[Status]:
    """The status buttons the person may press: only the assistant starts a task, asks the
    client or hands the task back to the pool."""
    moves = [Status(to) for to in services.ALLOWED_MOVES.get(task.status, ())]
    if not assistant:
        moves = [
            to
            for to in moves
            if to not in (Status.WAITING, Status.NEW) or task.status == Status.CANCELLED
        ]
    if task.status == Status.NEW:
        moves = [to for to in moves if to != Status.IN_PROGRESS]
    return moves


def _form_error(form) -> services.TaskError:
    return services.TaskError(
        " ".join(message for errors in form.errors.values() for message in errors)
    )


def _refuse(request, task: Task, error: Exception, **forms):
    """Re-show the task with the reason; nothing was changed."""
    messages.error(request, str(error))
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    return render(
        request, "tasks/task_detail.html", _detail_context(request, task, **forms), status=400
    )


@login_required
@require_POST
def task_move(request, pk: int):
    task = get_task_for_user(request.user, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _refuse(request, task, services.TaskError("Choose a status the task can move to."))
    try:
        services.task_move(
            actor=request.user,
            task=task,
            to=form.cleaned_data["to"],
            note=form.cleaned_data["note"],
        )
    except services.TaskError as error:
        return _refuse(request, task, error)
    task.refresh_from_db()
    messages.success(request, f"“{task.title}” is now {task.get_status_display().lower()}.")
    return _back(request, task)


@login_required
@require_POST
def task_claim(request, pk: int):
    task = get_task_for_user(request.user, pk)
    try:
        task = services.task_claim(actor=request.user, task=task)
    except services.TaskAlreadyTaken as error:
        messages.warning(request, str(error))
        return _back(request, task)
    except services.TaskError as error:
        return _refuse(request, task, error)
    messages.success(request, f"You took “{task.title}”.")
    return _back(request, task)


@login_required
@require_POST
def comment_add(request, pk: int):
    task = get_task_for_user(request.user, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _refuse(
            request, task, services.TaskError("Write something first."), comment_form=form
        )
    answering = task.status == Status.WAITING and is_client(request.user, task.organization)
    try:
        services.comment_add(actor=request.user, task=task, body=form.cleaned_data["body"])
    except services.TaskError as error:
        return _refuse(request, task, error, comment_form=form)
    if answering:
        messages.success(
            request, f"Your answer went to {task.assignee}; the task is back with them."
        )
    else:
        messages.success(request, "Your comment is posted.")
    return redirect("tasks:detail", pk=task.pk)


@login_required
@require_POST
def time_log(request, pk: int):
    task = get_task_for_user(request.user, pk)
    form = TimeEntryForm(request.POST)
    if not form.is_valid():
        return _refuse(
            request,
            task,
            _form_error(form),
            time_form=form,
        )
    try:
        entry = services.time_entry_log(
            actor=request.user,
            task=task,
            minutes=form.cleaned_data["minutes"],
            note=form.cleaned_data["note"],
        )
    except services.TaskError as error:
        return _refuse(request, task, error, time_form=form)
    messages.success(request, f"Logged {minutes_text(entry.minutes)} on “{task.title}”.")
    return _back(request, task)


@login_required
@require_POST
def timer_start(request, pk: int):
    task = get_task_for_user(request.user, pk)
    try:
        services.timer_start(actor=request.user, task=task)
    except services.TaskError as error:
        return _refuse(request, task, error)
    messages.success(request, f"Your timer is running on “{task.title}”.")
    return redirect("tasks:detail", pk=task.pk)


@login_required
@require_POST
def timer_stop(request, pk: int):
    task = get_task_for_user(request.user, pk)
    form = TimerStopForm(request.POST)
    if not form.is_valid():
        return _refuse(request, task, _form_error(form))
    try:
        entry = services.timer_stop(actor=request.user, task=task, note=form.cleaned_data["note"])
    except services.TaskError as error:
        return _refuse(request, task, error)
    if entry is None:
        messages.info(request, "Your timer ran for less than half a minute; nothing was logged.")
    else:
        messages.success(request, f"Logged {minutes_text(entry.minutes)} on “{task.title}”.")
    return redirect("tasks:detail", pk=task.pk)


@login_required
@require_POST
def timer_discard(request, pk: int):
    task = get_task_for_user(request.user, pk)
    try:
        services.timer_discard(actor=request.user, task=task)
    except services.TaskError as error:
        return _refuse(request, task, error)
    messages.success(request, "Your timer is discarded; nothing was logged.")
    return redirect("tasks:detail", pk=task.pk)


@login_required
@require_POST
def budget_request(request, pk: int):
    task = get_task_for_user(request.user, pk)
    form = BudgetRequestForm(request.POST)
    if not form.is_valid():
        return _refuse(
            request,
            task,
            services.TaskError("Say how many more minutes and why."),
            budget_form=form,
        )
    try:
        services.budget_request(actor=request.user, task=task, **form.cleaned_data)
    except services.TaskError as error:
        return _refuse(request, task, error, budget_form=form)
    messages.success(request, "Your request for more time went to the owner.")
    return redirect("tasks:detail", pk=task.pk)


@login_required
@require_POST
def budget_decide(request, pk: int):
    budget = get_budget_request_for_user(request.user, pk)
    approve = request.POST.get("decision") == "approve"
    try:
        services.budget_decide(actor=request.user, request=budget, approve=approve)
    except services.TaskError as error:
        return _refuse(request, budget.task, error)
    messages.success(request, "More time approved." if approve else "More time declined.")
    return redirect("tasks:detail", pk=budget.task_id)


@login_required
@require_POST
def checklist_toggle(request, pk: int, item_pk: int):
    item = get_checklist_item_for_user(request.user, pk, item_pk)
    services.checklist_toggle(actor=request.user, item=item)
    if request.htmx:
        checklist = list(item.task.checklist.all())
        return render(
            request,
            "tasks/_checklist_toggled.html",
            {
                "item": item,
                "task": item.task,
                "checklist": checklist,
                "checklist_done": sum(1 for other in checklist if other.done),
            },
        )
    return redirect("tasks:detail", pk=pk)


@login_required
@require_POST
def attachment_add(request, pk: int):
    task = get_task_for_user(request.user, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _refuse(
            request,
            task,
            _form_error(form),
            attachment_form=form,
        )
    services.attachment_add(actor=request.user, task=task, upload=form.cleaned_data["file"])
    messages.success(request, "The file is attached.")
    return redirect("tasks:detail", pk=task.pk)


@login_required
def attachment_download(request, pk: int, attachment_pk: int):
    attachment = get_attachment_for_user(request.user, pk, attachment_pk)
    return _file_response(attachment.file, attachment.name, attachment.content_type)


def _file_response(file, name: str, content_type: str) -> FileResponse:
    """A stored file as a download under the name it was sent with; never cached."""
    response = FileResponse(
        file.open("rb"), as_attachment=True, filename=name, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def task_thank(request, pk: int):
    task = get_task_for_user(request.user, pk)
    form = ThanksForm(request.POST)
    if not form.is_valid():
        return _refuse(
            request, task, services.TaskError("Write a few words of thanks."), thanks_form=form
        )
    try:
        services.task_thank(actor=request.user, task=task, note=form.cleaned_data["note"])
    except services.TaskError as error:
        return _refuse(request, task, error, thanks_form=form)
    messages.success(request, f"Your thanks went to {task.assignee.full_name}.")
    return redirect("tasks:detail", pk=task.pk)


def _back(request, task: Task):
    """Back to where the action came from: the queue row (htmx), the queue, or the task."""
    if request.htmx and request.POST.get("from") == "queue":
        task = Task.objects.select_related("organization", "assignee").get(pk=task.pk)
        return render(
            request,
            "tasks/_queue_row.html",
            {"task": task, "user": request.user, "timer": running_timer(request.user)},
        )
    if request.POST.get("from") == "queue":
        return redirect("tasks:queue")
    return redirect("tasks:detail", pk=task.pk)
