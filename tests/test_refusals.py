"""A refusal is a 404 that does not confirm the object exists: whatever a view refuses (a
PermissionDenied from the view or its service), the person gets the same page as for an id
that was never there, and nothing changes."""

import re
from datetime import date, time

import pytest
from django.urls import reverse

from tasks import services
from tasks.models import BudgetRequest, Milestone, Project, RecurringTask, RunningTimer, TimeEntry
from tasks.recurring import recurring_task_create
from tests.factories import TaskFactory
from tests.tasks.factories import MilestoneFactory, ProjectFactory, ProjectTaskFactory
from vapportal.models import AuditEvent

MISSING = 987654


@pytest.fixture
def project(organization, owner):
    return ProjectFactory(organization=organization, owner=owner, title="Employee evaluations")


@pytest.fixture
def hiring(project):
    return MilestoneFactory(
        project=project, title="Hire an outside evaluation firm", needs_approval=True
    )


@pytest.fixture
def taken(organization, owner, assistant):
    task = TaskFactory(organization=organization, created_by=owner, budget_minutes=60)
    return services.task_claim(actor=assistant, task=task)


@pytest.fixture
def budget_request(assistant, taken):
    return services.budget_request(actor=assistant, task=taken, extra_minutes=30, reason="More")


@pytest.fixture
def rule(owner, organization):
    return recurring_task_create(
        actor=owner,
        organization=organization,
        title="Send the weekly sales report",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        starts_on=date(2024, 1, 1),
        due_time=time(9, 0),
        timezone="America/Chicago",
    )


def test_an_assistant_approving_a_milestone_gets_the_same_404_as_a_missing_one(
    client_for, assistant, project, hiring
):
    client = client_for(assistant)

    refused = client.post(reverse("tasks:milestone_approve", args=[project.pk, hiring.pk]))
    missing = client.post(reverse("tasks:milestone_approve", args=[project.pk, MISSING]))

    assert refused.status_code == missing.status_code == 404
    assert _page(refused) == _page(missing)
    hiring.refresh_from_db()
    assert (hiring.approved_by, hiring.approved_at) == (None, None)
    assert not AuditEvent.objects.filter(action="milestone.approved").exists()


def _unchanged_milestone(hiring):
    return Milestone.objects.filter(pk=hiring.pk, approved_at__isnull=True).exists()


# (who, method, URL name, its arguments, the form, what must still hold afterwards)
REFUSALS = [
    pytest.param(
        "assistant",
        "post",
        "tasks:milestone_approve",
        lambda f: [f["project"].pk, f["hiring"].pk],
        {},
        lambda f: _unchanged_milestone(f["hiring"]),
        id="assistant-approves-a-milestone",
    ),
    pytest.param(
        "owner",
        "post",
        "tasks:time",
        lambda f: [f["taken"].pk],
        {"minutes": "5"},
        lambda f: not TimeEntry.objects.exists(),
        id="owner-logs-time",
    ),
    pytest.param(
        "owner",
        "post",
        "tasks:timer_start",
        lambda f: [f["taken"].pk],
        {},
        lambda f: not RunningTimer.objects.exists(),
        id="owner-starts-a-timer",
    ),
    pytest.param(
        "assistant",
        "post",
        "tasks:budget_decide",
        lambda f: [f["budget_request"].pk],
        {"decision": "approve"},
        lambda f: BudgetRequest.objects.get().decision == BudgetRequest.Decision.PENDING,
        id="assistant-approves-their-own-request",
    ),
    pytest.param(
        "assistant",
        "get",
        "tasks:project_edit",
        lambda f: [f["project"].pk],
        {},
        lambda f: True,
        id="assistant-opens-the-project-form",
    ),
    pytest.param(
        "assistant",
        "post",
        "tasks:project_edit",
        lambda f: [f["project"].pk],
        {"title": "Renamed", "owner": "0"},
        lambda f: Project.objects.get().title == "Employee evaluations",
        id="assistant-edits-the-project",
    ),
    pytest.param(
        "assistant",
        "post",
        "tasks:project_cancel",
        lambda f: [f["project"].pk],
        {},
        lambda f: Project.objects.get().state == Project.State.ACTIVE,
        id="assistant-cancels-the-project",
    ),
    pytest.param(
        "admin_user",
        "post",
        "tasks:recurring_pause",
        lambda f: [f["rule"].pk],
        {},
        lambda f: not RecurringTask.objects.get().paused,
        id="admin-pauses-a-rule",
    ),
    pytest.param(
        "admin_user",
        "get",
        "tasks:recurring_edit",
        lambda f: [f["rule"].pk],
        {},
        lambda f: True,
        id="admin-opens-a-rules-form",
    ),
    pytest.param(
        "assistant",
        "get",
        "tasks:project_new",
        lambda f: [],
        {},
        lambda f: True,
        id="assistant-starts-a-project",
    ),
    pytest.param(
        "stranger",
        "get",
        "tasks:recurring_new",
        lambda f: [],
        {},
        lambda f: True,
        id="stranger-sets-up-a-rule",
    ),
    pytest.param(
        "stranger",
        "get",
        "tasks:new",
        lambda f: [],
        {},
        lambda f: True,
        id="stranger-delegates-a-task",
    ),
]


@pytest.mark.parametrize(("who", "method", "name", "args", "data", "unchanged"), REFUSALS)
def test_every_refusal_is_a_404_and_changes_nothing(
    request, client_for, who, method, name, args, data, unchanged
):
    fixtures = {
        fixture: request.getfixturevalue(fixture)
        for fixture in ("project", "hiring", "taken", "budget_request", "rule")
    }
    ProjectTaskFactory(project=fixtures["project"], milestone=fixtures["hiring"])
    client = client_for(request.getfixturevalue(who))

    response = getattr(client, method)(reverse(name, args=args(fixtures)), data)

    assert response.status_code == 404
    assert unchanged(fixtures)


def test_a_refusal_reads_like_a_page_that_is_not_there(client_for, owner, taken):
    client = client_for(owner)

    refused = client.post(reverse("tasks:timer_start", args=[taken.pk]))
    missing = client.post(reverse("tasks:timer_start", args=[MISSING]))

    assert refused.status_code == missing.status_code == 404
    assert _page(refused) == _page(missing)
    assert not RunningTimer.objects.exists()


def _page(response) -> str:
    """The page as a reader sees it: its CSRF tokens are masked anew each time."""
    return re.sub(
        r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[A-Za-z0-9]+',
        r"\1",
        response.content.decode(),
    )
