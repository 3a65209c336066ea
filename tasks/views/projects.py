from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from clients.models import Organization

from .. import projects as services
from ..models import Milestone, Project, Status, Task
from ..permissions import is_client, is_engaged_assistant
from ..project_forms import MilestoneForm, ProjectForm
from ..services import TaskError

PAGE_SIZE = 25
STATE_FILTERS = {"": Project.State.ACTIVE, **{state: state for state in Project.State.values}}


def _get_project_for_user(user, pk: int) -> Project:
    return get_object_or_404(
        Project.objects.visible_to(user).select_related("organization", "owner"), pk=pk
    )


def _get_milestone_for_user(user, project_pk: int, pk: int) -> Milestone:
    return get_object_or_404(
        Milestone.objects.filter(
            project__in=Project.objects.visible_to(user), project_id=project_pk
        ),
        pk=pk,
    )


def _with_progress(projects):
    """Each project's done tasks and its tasks that count (all but cancelled ones), counted
    in the same query as the projects."""
    return projects.annotate(
        tasks_done=Count("tasks", filter=Q(tasks__status=Status.DONE), distinct=True),
        tasks_counted=Count("tasks", filter=~Q(tasks__status=Status.CANCELLED), distinct=True),
        awaiting_approval=Count(
            "milestones",
            filter=Q(milestones__needs_approval=True, milestones__approved_at__isnull=True),
            distinct=True,
        ),
    )


@login_required
def project_list(request):
    state = request.GET.get("state", "")
    projects = Project.objects.visible_to(request.user)
    if state in STATE_FILTERS:
        projects = projects.filter(state=STATE_FILTERS[state])
    projects = _with_progress(projects.select_related("organization", "owner")).order_by(
        F("target_date").asc(nulls_last=True), "title", "id"
    )
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tasks/project_list.html",
        {
            "page": page,
            "state": state,
            "states": Project.State.choices,
            "query_string": f"state={state}" if state else "",
            "can_create": Organization.objects.managed_by(request.user).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_new(request):
    organizations = Organization.objects.managed_by(request.user)
    if not organizations.exists():
        raise PermissionDenied
    form = ProjectForm(
        request.POST or None, organizations=organizations, initial={"owner": request.user.pk}
    )
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(actor=request.user, **form.cleaned_data)
        except services.ProjectError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, f"The project “{project.title}” is started.")
            return redirect("tasks:project_detail", pk=project.pk)
    return render(
        request,
        "tasks/project_form.html",
        {"form": form, "project": None},
        status=400 if form.errors else 200,
    )


@login_required
def project_detail(request, pk: int):
    project = _get_project_for_user(request.user, pk)
    return render(request, "tasks/project_detail.html", _detail_context(request, project))


def _detail_context(request, project: Project, milestone_form: MilestoneForm | None = None):
    milestones = list(project.milestones.select_related("approved_by"))
    tasks = list(
        project.tasks.select_related("assignee").order_by(
            F("due_at").asc(nulls_last=True), "created_at", "id"
        )
    )
    by_milestone: dict[int | None, list[Task]] = {}
    for task in tasks:
        by_milestone.setdefault(task.milestone_id, []).append(task)
    counted = [task for task in tasks if task.status != Status.CANCELLED]
    client = is_client(request.user, project.organization)
    assistant = is_engaged_assistant(request.user, project.organization)
    return {
        "project": project,
        "is_client": client,
        "is_assistant": assistant,
        # Owners, managers and assistants add tasks and milestones while the project runs.
        "can_contribute": project.state == Project.State.ACTIVE and (client or assistant),
        "groups": [(milestone, by_milestone.get(milestone.pk, [])) for milestone in milestones],
        "loose_tasks": by_milestone.get(None, []),
        "tasks_counted": len(counted),
        "tasks_done": sum(1 for task in counted if task.status == Status.DONE),
        "tasks_open": any(task.is_open for task in tasks),
        "milestone_form": milestone_form or MilestoneForm(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request, pk: int):
    project = _get_project_for_user(request.user, pk)
    if not is_client(request.user, project.organization):
        raise PermissionDenied
    form = ProjectForm(
        request.POST or None,
        organizations=Organization.objects.filter(pk=project.organization_id),
        project=project,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(actor=request.user, project=project, **form.cleaned_data)
        except services.ProjectError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, "The project is saved.")
            return redirect("tasks:project_detail", pk=project.pk)
    return render(
        request,
        "tasks/project_form.html",
        {"form": form, "project": project},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def milestone_add(request, pk: int):
    project = _get_project_for_user(request.user, pk)
    form = MilestoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            milestone = services.milestone_add(
                actor=request.user, project=project, **form.cleaned_data
            )
        except services.ProjectError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, f"The milestone “{milestone.title}” is added.")
            return redirect("tasks:project_detail", pk=project.pk)
    return render(
        request,
        "tasks/project_milestone_form.html",
        {"form": form, "project": project},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def milestone_approve(request, pk: int, milestone_pk: int):
    milestone = _get_milestone_for_user(request.user, pk, milestone_pk)
    try:
        milestone = services.milestone_approve(actor=request.user, milestone=milestone)
    except services.ProjectError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"“{milestone.title}” is approved; work on it can start.")
    return redirect("tasks:project_detail", pk=pk)


@login_required
@require_POST
def project_complete(request, pk: int):
    project = _get_project_for_user(request.user, pk)
    try:
        services.project_complete(actor=request.user, project=project)
    except services.ProjectError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"“{project.title}” is completed. Well done.")
    return redirect("tasks:project_detail", pk=project.pk)


@login_required
@require_POST
def project_cancel(request, pk: int):
    project = _get_project_for_user(request.user, pk)
    try:
        services.project_cancel(actor=request.user, project=project)
    except TaskError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"“{project.title}” is cancelled, and its open tasks with it.")
    return redirect("tasks:project_detail", pk=project.pk)
