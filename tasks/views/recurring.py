from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from .. import recurring
from ..models import RecurringTask
from ..recurring_forms import RecurringTaskForm

PAGE_SIZE = 25
RECENT_TASKS = 10


def _get_rule_for_user(user, pk: int) -> RecurringTask:
    """Another organization's rule is a 404, whatever the id."""
    return get_object_or_404(
        RecurringTask.objects.visible_to(user).select_related(
            "organization", "requested_by", "created_by", "assignee"
        ),
        pk=pk,
    )


@login_required
def recurring_list(request):
    now = timezone.now()
    rules = recurring.recurring_tasks_for(request.user, now=now)
    page = Paginator(rules, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tasks/recurring_list.html",
        {
            "page": page,
            "summaries": recurring.rule_summaries(page.object_list, now=now),
            "may_add": recurring.organizations_for_rules(request.user).exists(),
        },
    )


def _form_page(request, form: RecurringTaskForm, rule: RecurringTask | None = None):
    status = 400 if form.errors and "preview" not in request.POST else 200
    context = {"form": form, "rule": rule, "preview": form.preview()}
    if rule is not None:
        context["hand_written"] = recurring.rrule_choices(rule.rrule) is None
    return render(request, "tasks/recurring_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def recurring_new(request):
    organizations = recurring.organizations_for_rules(request.user)
    if not organizations.exists():
        raise PermissionDenied
    form = RecurringTaskForm(request.POST or None, user=request.user, organizations=organizations)
    if request.method == "POST" and "preview" not in request.POST and form.is_valid():
        try:
            rule = recurring.recurring_task_create(
                actor=request.user,
                organization=form.cleaned_data["organization"],
                **form.rule_fields(),
            )
        except recurring.RecurringError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"“{rule.title}” will come back on its own from now on.")
            return redirect("tasks:recurring_detail", pk=rule.pk)
    return _form_page(request, form)


@login_required
@require_POST
def recurring_preview(request):
    """The htmx partial under the form: the schedule in words and its next occurrences."""
    form = RecurringTaskForm(
        request.POST,
        user=request.user,
        organizations=recurring.organizations_for_rules(request.user),
    )
    return render(request, "tasks/recurring_preview.html", {"preview": form.preview()})


@login_required
def recurring_detail(request, pk: int):
    rule = _get_rule_for_user(request.user, pk)
    tasks = rule.tasks.select_related("assignee", "organization").order_by("-occurrence")
    return render(
        request,
        "tasks/recurring_detail.html",
        {
            "rule": rule,
            "description": recurring.rrule_describe(rule.rrule, rule.due_time),
            "upcoming": recurring.upcoming_occurrences(rule),
            "tasks": tasks[:RECENT_TASKS],
            "may_manage": recurring.may_manage(request.user, rule.organization),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def recurring_edit(request, pk: int):
    rule = _get_rule_for_user(request.user, pk)
    if not recurring.may_manage(request.user, rule.organization):
        raise PermissionDenied
    form = RecurringTaskForm(
        request.POST or None,
        user=request.user,
        organizations=recurring.organizations_for_rules(request.user),
        rule=rule,
    )
    if request.method == "POST" and "preview" not in request.POST and form.is_valid():
        try:
            recurring.recurring_task_update(actor=request.user, rule=rule, **form.rule_fields())
        except recurring.RecurringError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Saved. Tasks not created yet follow the new schedule.")
            return redirect("tasks:recurring_detail", pk=rule.pk)
    return _form_page(request, form, rule)


def _act(request, pk: int, service, done: str, **arguments):
    """Look the rule up (404 for strangers), call the service, say what happened."""
    rule = _get_rule_for_user(request.user, pk)
    try:
        service(actor=request.user, rule=rule, **arguments)
    except recurring.RecurringError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("tasks:recurring_detail", pk=rule.pk)


@login_required
@require_POST
def recurring_pause(request, pk: int):
    return _act(request, pk, recurring.recurring_task_pause, "Paused: no new tasks until resumed.")


@login_required
@require_POST
def recurring_resume(request, pk: int):
    return _act(request, pk, recurring.recurring_task_resume, "Resumed.")


@login_required
@require_POST
def recurring_end(request, pk: int):
    return _act(
        request, pk, recurring.recurring_task_end, "Ended. Tasks already created stay as they are."
    )


@login_required
@require_POST
def recurring_skip(request, pk: int):
    return _act(
        request,
        pk,
        recurring.recurring_task_skip,
        "Skipped: that occurrence will not become a task.",
        occurrence=request.POST.get("occurrence", ""),
    )


@login_required
@require_POST
def recurring_restore(request, pk: int):
    return _act(
        request,
        pk,
        recurring.recurring_task_restore,
        "Restored: that occurrence will become a task after all.",
        occurrence=request.POST.get("occurrence", ""),
    )
