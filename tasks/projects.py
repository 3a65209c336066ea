"""Projects: tasks toward one outcome, with milestones the owner may have to approve before
work on them starts. Every change goes through one of these functions, in a transaction, with
its permission checked."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from clients.models import Organization
from vapportal.audit import audit_record
from vapportal.dates import day_text

from . import services
from .models import OPEN_STATUSES, Milestone, Project, Status
from .permissions import is_client, is_engaged_assistant


class ProjectError(services.TaskError):
    """The change is not allowed; `field` names the form field the message belongs to."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def _today(organization: Organization) -> date:
    return timezone.localdate(timezone=organization.zone)


def _require_client(user: User, organization: Organization) -> None:
    if not is_client(user, organization):
        raise PermissionDenied


def _check_owner(owner: User, organization: Organization) -> None:
    if not is_client(owner, organization):
        raise ProjectError(f"{owner} is not an owner or manager of {organization}.", field="owner")


def _check_active(project: Project) -> None:
    if project.state != Project.State.ACTIVE:
        raise ProjectError(f"This project is {project.get_state_display().lower()}.")


def _locked(project: Project) -> Project:
    return Project.objects.select_for_update().select_related("organization").get(pk=project.pk)


@transaction.atomic
def project_create(
    *,
    actor: User,
    organization: Organization,
    title: str,
    description: str = "",
    owner: User | None = None,
    target_date: date | None = None,
) -> Project:
    """Owners and managers start projects; the owner of the project is one of them (the
    person who starts it unless they name another). The target date cannot be in the past,
    in the organization's time zone."""
    _require_client(actor, organization)
    owner = owner or actor
    _check_owner(owner, organization)
    if not title.strip():
        raise ProjectError("Give the project a title.", field="title")
    if target_date is not None and target_date < _today(organization):
        raise ProjectError("The target date is in the past.", field="target_date")
    return Project.objects.create(
        organization=organization,
        title=title.strip(),
        description=description,
        owner=owner,
        target_date=target_date,
    )


@transaction.atomic
def project_update(
    *,
    actor: User,
    project: Project,
    title: str,
    description: str = "",
    owner: User,
    target_date: date | None = None,
) -> Project:
    """Owners and managers change an active project. A new target date cannot be in the past;
    a project that has run past its date may keep it."""
    project = _locked(project)
    organization = project.organization
    _require_client(actor, organization)
    _check_active(project)
    _check_owner(owner, organization)
    if not title.strip():
        raise ProjectError("Give the project a title.", field="title")
    if (
        target_date is not None
        and target_date != project.target_date
        and target_date < _today(organization)
    ):
        raise ProjectError("The target date is in the past.", field="target_date")
    project.title, project.description = title.strip(), description
    project.owner, project.target_date = owner, target_date
    project.save(update_fields=["title", "description", "owner", "target_date"])
    return project


@transaction.atomic
def milestone_add(
    *,
    actor: User,
    project: Project,
    title: str,
    due_date: date | None = None,
    needs_approval: bool = False,
) -> Milestone:
    """Owners, managers and the engaged assistants add (or propose) milestones to an active
    project; a new one goes last. Only an owner or manager can approve one later."""
    project = _locked(project)
    organization = project.organization
    if not (is_client(actor, organization) or is_engaged_assistant(actor, organization)):
        raise PermissionDenied
    _check_active(project)
    if not title.strip():
        raise ProjectError("Give the milestone a title.", field="title")
    if due_date is not None:
        if due_date < _today(organization):
            raise ProjectError("The due date is in the past.", field="due_date")
        if project.target_date is not None and due_date > project.target_date:
            raise ProjectError(
                f"The project's target date is {day_text(project.target_date)}; "
                "its milestones are due by then.",
                field="due_date",
            )
    last = project.milestones.aggregate(last=Max("position"))["last"]
    return Milestone.objects.create(
        project=project,
        title=title.strip(),
        due_date=due_date,
        needs_approval=needs_approval,
        position=0 if last is None else last + 1,
    )


@transaction.atomic
def milestone_approve(*, actor: User, milestone: Milestone) -> Milestone:
    """Only an owner or manager approves; from then on the milestone's tasks can be started.
    The approval records who and when, and goes in the audit trail."""
    milestone = (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("project__organization", "approved_by")
        .get(pk=milestone.pk)
    )
    project = milestone.project
    _require_client(actor, project.organization)
    _check_active(project)
    if not milestone.needs_approval:
        raise ProjectError("This milestone does not need an approval.")
    if milestone.approved_at is not None:
        raise ProjectError(f"{milestone.approved_by} already approved this milestone.")
    milestone.approved_by, milestone.approved_at = actor, timezone.now()
    milestone.save(update_fields=["approved_by", "approved_at"])
    audit_record(
        actor=actor,
        action="milestone.approved",
        summary=f"Approved “{milestone.title}” in the project “{project.title}”; work can start",
        organization=project.organization,
    )
    return milestone


@transaction.atomic
def project_complete(*, actor: User, project: Project) -> Project:
    """An owner or manager closes an active project once none of its tasks is still open."""
    project = _locked(project)
    _require_client(actor, project.organization)
    _check_active(project)
    still_open = project.tasks.filter(status__in=OPEN_STATUSES).count()
    if still_open:
        raise ProjectError(
            f"{still_open} of the project's tasks {'is' if still_open == 1 else 'are'} still "
            "open; finish or cancel them first."
        )
    return _close(project, actor, Project.State.COMPLETED)


@transaction.atomic
def project_cancel(*, actor: User, project: Project) -> Project:
    """An owner or manager calls an active project off; its open tasks are cancelled with it,
    each through the usual status change (timeline event, notification)."""
    project = _locked(project)
    _require_client(actor, project.organization)
    _check_active(project)
    for task in project.tasks.filter(status__in=OPEN_STATUSES):
        services.task_move(
            actor=actor,
            task=task,
            to=Status.CANCELLED,
            note=f"The project “{project}” was cancelled.",
        )
    return _close(project, actor, Project.State.CANCELLED)


def _close(project: Project, actor: User, state: str) -> Project:
    project.state = state
    project.save(update_fields=["state"])
    audit_record(
        actor=actor,
        action=f"project.{state}",
        summary=f"Marked the project “{project.title}” {project.get_state_display().lower()}",
        organization=project.organization,
    )
    return project
