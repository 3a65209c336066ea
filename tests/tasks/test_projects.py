from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from assistants.services import engagement_end
from tasks import projects, services
from tasks.models import Milestone, Priority, Project, Status, Task, TaskEvent
from tests.factories import TaskFactory
from tests.helpers import queries_for
from tests.tasks.factories import MilestoneFactory, ProjectFactory, ProjectTaskFactory
from vapportal.models import AuditEvent

LIST = reverse("tasks:projects")
NEW = reverse("tasks:project_new")


def days_from_today(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


@pytest.fixture
def project(organization, owner):
    return ProjectFactory(
        organization=organization,
        owner=owner,
        title="Employee evaluations",
        description="Take over the **evaluation process** and secure an outside firm.",
        target_date=timezone.localdate() + timedelta(days=60),
    )


@pytest.fixture
def hiring(project):
    """The milestone the owner must approve before work goes on."""
    return MilestoneFactory(
        project=project, title="Hire an outside evaluation firm", needs_approval=True
    )


@pytest.fixture
def hiring_task(hiring):
    return ProjectTaskFactory(
        project=hiring.project, milestone=hiring, title="Sign the evaluation firm"
    )


def test_owner_starts_a_project_and_adds_milestones(client_for, owner, organization):
    client = client_for(owner)

    response = client.post(
        NEW,
        {
            "organization": organization.pk,
            "title": "Employee evaluations",
            "description": "Take over the evaluation process.",
            "owner": owner.pk,
            "target_date": days_from_today(60),
        },
    )
    project = Project.objects.get()
    for title, approval in [("Collect last year's forms", ""), ("Hire an outside firm", "on")]:
        client.post(
            reverse("tasks:milestone_add", args=[project.pk]),
            {"title": title, "due_date": days_from_today(30), "needs_approval": approval},
        )

    assert response.status_code == 302
    assert response["Location"] == reverse("tasks:project_detail", args=[project.pk])
    assert (project.organization, project.owner, project.state) == (organization, owner, "active")
    assert [(m.title, m.position, m.needs_approval) for m in project.milestones.all()] == [
        ("Collect last year's forms", 0, False),
        ("Hire an outside firm", 1, True),
    ]


def test_a_manager_may_name_the_owner_as_the_projects_owner(
    client_for, manager, owner, organization
):
    client_for(manager).post(
        NEW, {"organization": organization.pk, "title": "Evaluations", "owner": owner.pk}
    )

    assert Project.objects.get().owner == owner


def test_the_projects_owner_must_belong_to_its_organization(
    client_for, owner, organization, outsider
):
    response = client_for(owner).post(
        NEW, {"organization": organization.pk, "title": "Evaluations", "owner": outsider.pk}
    )

    assert response.status_code == 400
    assert "owner" in response.context["form"].errors
    assert not Project.objects.exists()


def test_an_empty_title_is_a_form_error_and_stores_nothing(client_for, owner, organization):
    response = client_for(owner).post(
        NEW, {"organization": organization.pk, "title": "   ", "owner": owner.pk}
    )

    assert response.status_code == 400
    assert "title" in response.context["form"].errors
    assert not Project.objects.exists()


def test_a_target_date_in_the_past_is_a_form_error_and_stores_nothing(
    client_for, owner, organization
):
    response = client_for(owner).post(
        NEW,
        {
            "organization": organization.pk,
            "title": "Evaluations",
            "owner": owner.pk,
            "target_date": days_from_today(-2),
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["target_date"] == ["The target date is in the past."]
    assert not Project.objects.exists()


def test_an_assistant_cannot_start_a_project(client_for, assistant, organization, owner):
    client = client_for(assistant)

    assert client.get(NEW).status_code == 404
    response = client.post(
        NEW, {"organization": organization.pk, "title": "Evaluations", "owner": owner.pk}
    )

    assert response.status_code == 404
    assert not Project.objects.exists()


def test_the_list_shows_each_projects_progress_from_its_tasks(client_for, owner, project):
    for status in (Status.DONE, Status.DONE, Status.NEW, Status.CANCELLED):
        ProjectTaskFactory(project=project, status=status)
    ProjectFactory(organization=project.organization, owner=owner, title="Empty project")

    response = client_for(owner).get(LIST)

    progress = {p.title: (p.tasks_done, p.tasks_counted) for p in response.context["page"]}
    assert progress == {"Employee evaluations": (2, 3), "Empty project": (0, 0)}
    assert "2 of 3 tasks done" in response.content.decode()


def test_the_list_counts_milestones_waiting_for_approval(client_for, owner, hiring):
    MilestoneFactory(project=hiring.project, needs_approval=True, approved_at=timezone.now())

    response = client_for(owner).get(LIST)

    assert "1 milestone to approve" in response.content.decode()


def test_the_list_shows_active_projects_unless_asked_for_others(client_for, owner, project):
    ProjectFactory(organization=project.organization, owner=owner, state="completed")
    client = client_for(owner)

    assert [p.title for p in client.get(LIST).context["page"]] == ["Employee evaluations"]
    assert len(client.get(LIST, {"state": "all"}).context["page"]) == 2
    assert len(client.get(LIST, {"state": "completed"}).context["page"]) == 1


def test_the_list_flags_a_project_late_by_the_clients_calendar_not_the_viewers(
    client_for, assistant, project
):
    assistant.timezone = "Asia/Manila"
    assistant.save()
    Project.objects.filter(pk=project.pk).update(target_date=date(2026, 11, 18))
    late = '<span class="text-danger fw-semibold">Target Wed 18 Nov</span>'

    # 14:00 on Wednesday 18 November in Chicago, already Thursday in Manila.
    with time_machine.travel(datetime(2026, 11, 18, 20, 0, tzinfo=UTC), tick=False):
        on_the_day = client_for(assistant).get(LIST).content.decode()
    # 00:30 on Thursday in Chicago.
    with time_machine.travel(datetime(2026, 11, 19, 6, 30, tzinfo=UTC), tick=False):
        the_day_after = client_for(assistant).get(LIST).content.decode()

    assert late not in on_the_day and '<span class="">Target Wed 18 Nov</span>' in on_the_day
    assert late in the_day_after


def test_the_list_shows_nothing_of_another_organization(client_for, outsider, project):
    response = client_for(outsider).get(LIST)

    assert list(response.context["page"]) == []
    assert "Employee evaluations" not in response.content.decode()


def test_the_list_query_count_does_not_grow_with_projects_and_tasks(
    client_for, owner, organization, django_assert_num_queries
):
    client = client_for(owner)
    ProjectTaskFactory(project=ProjectFactory(organization=organization, owner=owner))
    expected = queries_for(lambda: client.get(LIST))

    for _ in range(6):
        extra = ProjectFactory(organization=organization, owner=owner)
        milestone = MilestoneFactory(project=extra, needs_approval=True)
        ProjectTaskFactory.create_batch(3, project=extra, milestone=milestone)
        ProjectTaskFactory(project=extra, status=Status.DONE)

    with django_assert_num_queries(expected):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 7


def test_the_detail_page_shows_the_plan(client_for, owner, engagement, hiring, hiring_task):
    collect = MilestoneFactory(project=hiring.project, title="Collect last year's forms")
    ProjectTaskFactory(project=hiring.project, milestone=collect, status=Status.DONE)
    ProjectTaskFactory(project=hiring.project, title="Tell the managers")

    response = client_for(owner).get(reverse("tasks:project_detail", args=[hiring.project.pk]))

    body = response.content.decode()
    assert "<strong>evaluation process</strong>" in body
    assert "Waiting for the owner's approval" in body
    assert reverse("tasks:milestone_approve", args=[hiring.project.pk, hiring.pk]) in body
    assert f'href="/tasks/new/?project={hiring.project.pk}"' in body
    assert "Add a task to this project" in body
    groups = [(m.title, [t.title for t in ts]) for m, ts in response.context["groups"]]
    assert groups[0] == ("Hire an outside evaluation firm", ["Sign the evaluation firm"])
    assert groups[1][0] == "Collect last year's forms"
    assert [t.title for t in response.context["loose_tasks"]] == ["Tell the managers"]
    assert "1 of 3 tasks done" in body
    assert '<span class="badge text-bg-success">Done</span>' in body


def test_the_description_markdown_is_sanitized(client_for, owner, project):
    project.description = "Hello <script>alert(1)</script> [x](javascript:alert(1))"
    project.save()

    body = client_for(owner).get(reverse("tasks:project_detail", args=[project.pk])).content

    assert b"<script>alert" not in body
    assert b"javascript:" not in body


def test_an_assistant_sees_the_project_without_the_approve_button(client_for, assistant, hiring):
    response = client_for(assistant).get(reverse("tasks:project_detail", args=[hiring.project.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Waiting for the owner's approval" in body
    assert reverse("tasks:milestone_approve", args=[hiring.project.pk, hiring.pk]) not in body
    assert "Add a task to this project" in body
    assert "Propose a milestone" in body


def test_the_detail_query_count_does_not_grow_with_milestones_and_tasks(
    client_for, owner, engagement, hiring, hiring_task, django_assert_num_queries
):
    client = client_for(owner)
    url = reverse("tasks:project_detail", args=[hiring.project.pk])
    expected = queries_for(lambda: client.get(url))

    for _ in range(4):
        milestone = MilestoneFactory(project=hiring.project, needs_approval=True)
        projects.milestone_approve(actor=owner, milestone=milestone)
        ProjectTaskFactory.create_batch(2, project=hiring.project, milestone=milestone)
    ProjectTaskFactory.create_batch(3, project=hiring.project)

    with django_assert_num_queries(expected):
        client.get(url)


def test_a_milestone_waiting_for_approval_blocks_its_tasks_until_the_owner_approves(
    client_for, owner, assistant, hiring, hiring_task
):
    with pytest.raises(services.TaskError, match="waits for the owner's approval"):
        services.task_claim(actor=assistant, task=hiring_task)
    hiring_task.refresh_from_db()
    assert (hiring_task.status, hiring_task.assignee) == (Status.NEW, None)

    response = client_for(owner).post(
        reverse("tasks:milestone_approve", args=[hiring.project.pk, hiring.pk])
    )

    assert response.status_code == 302
    hiring.refresh_from_db()
    assert hiring.approved_by == owner
    assert timezone.now() - hiring.approved_at < timedelta(minutes=1)
    assert not hiring.is_blocked
    audit = AuditEvent.objects.get(action="milestone.approved")
    assert (audit.actor, audit.organization) == (owner, hiring.project.organization)
    assert "Hire an outside evaluation firm" in audit.summary

    task = services.task_claim(actor=assistant, task=hiring_task)

    assert (task.status, task.assignee) == (Status.IN_PROGRESS, assistant)


def test_an_assistant_cannot_approve_a_milestone(client_for, assistant, hiring, hiring_task):
    response = client_for(assistant).post(
        reverse("tasks:milestone_approve", args=[hiring.project.pk, hiring.pk])
    )

    assert response.status_code == 404
    hiring.refresh_from_db()
    assert (hiring.approved_by, hiring.approved_at) == (None, None)
    assert not AuditEvent.objects.filter(action="milestone.approved").exists()
    with pytest.raises(services.TaskError):
        services.task_claim(actor=assistant, task=hiring_task)


def test_a_manager_can_approve_a_milestone(manager, hiring):
    projects.milestone_approve(actor=manager, milestone=hiring)

    hiring.refresh_from_db()
    assert hiring.approved_by == manager


def test_a_second_approval_is_refused_and_keeps_the_first(client_for, owner, manager, hiring):
    projects.milestone_approve(actor=owner, milestone=hiring)

    response = client_for(manager).post(
        reverse("tasks:milestone_approve", args=[hiring.project.pk, hiring.pk]), follow=True
    )

    assert "already approved" in response.content.decode()
    hiring.refresh_from_db()
    assert hiring.approved_by == owner
    assert AuditEvent.objects.filter(action="milestone.approved").count() == 1


def test_an_assistant_proposes_a_milestone_and_the_owner_approves_it(
    client_for, assistant, owner, project
):
    client_for(assistant).post(
        reverse("tasks:milestone_add", args=[project.pk]),
        {"title": "Hire an outside evaluation firm", "needs_approval": "on"},
    )
    milestone = Milestone.objects.get()
    assert milestone.is_blocked

    projects.milestone_approve(actor=owner, milestone=milestone)

    milestone.refresh_from_db()
    assert not milestone.is_blocked


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "Interviews", "due_date": "-2"}, "due_date"),
        ({"title": "Interviews", "due_date": "90"}, "due_date"),  # after the target date
    ],
)
def test_bad_milestone_input_is_a_form_error_and_stores_nothing(
    client_for, owner, project, data, field
):
    if "due_date" in data:
        data["due_date"] = days_from_today(int(data["due_date"]))

    response = client_for(owner).post(reverse("tasks:milestone_add", args=[project.pk]), data)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Milestone.objects.exists()


def test_owner_edits_the_project(client_for, owner, manager, project):
    response = client_for(owner).post(
        reverse("tasks:project_edit", args=[project.pk]),
        {"title": "Evaluations 2026", "description": "New plan.", "owner": manager.pk},
    )

    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.title, project.description, project.owner, project.target_date) == (
        "Evaluations 2026",
        "New plan.",
        manager,
        None,
    )


def test_a_project_past_its_target_date_keeps_it_when_edited(client_for, owner, project):
    past = timezone.localdate() - timedelta(days=3)
    Project.objects.filter(pk=project.pk).update(target_date=past)

    client_for(owner).post(
        reverse("tasks:project_edit", args=[project.pk]),
        {"title": "Renamed", "owner": owner.pk, "target_date": past.isoformat()},
    )

    project.refresh_from_db()
    assert (project.title, project.target_date) == ("Renamed", past)


def test_an_assistant_cannot_edit_the_project(client_for, assistant, owner, project):
    client = client_for(assistant)
    url = reverse("tasks:project_edit", args=[project.pk])

    assert client.get(url).status_code == 404
    response = client.post(url, {"title": "Renamed", "owner": owner.pk})

    assert response.status_code == 404
    project.refresh_from_db()
    assert project.title == "Employee evaluations"


def test_a_project_with_open_tasks_cannot_be_completed(client_for, owner, project):
    ProjectTaskFactory(project=project)

    client_for(owner).post(reverse("tasks:project_complete", args=[project.pk]))

    project.refresh_from_db()
    assert project.state == Project.State.ACTIVE


def test_owner_completes_a_project_whose_tasks_are_finished(client_for, owner, project):
    ProjectTaskFactory(project=project, status=Status.DONE)
    ProjectTaskFactory(project=project, status=Status.CANCELLED)

    client_for(owner).post(reverse("tasks:project_complete", args=[project.pk]))

    project.refresh_from_db()
    assert project.state == Project.State.COMPLETED
    assert AuditEvent.objects.filter(action="project.completed", actor=owner).exists()


def test_cancelling_a_project_cancels_its_open_tasks(client_for, owner, project):
    open_task = ProjectTaskFactory(project=project)
    done_task = ProjectTaskFactory(project=project, status=Status.DONE)

    client_for(owner).post(reverse("tasks:project_cancel", args=[project.pk]))

    project.refresh_from_db()
    open_task.refresh_from_db()
    done_task.refresh_from_db()
    assert project.state == Project.State.CANCELLED
    assert (open_task.status, done_task.status) == (Status.CANCELLED, Status.DONE)
    assert TaskEvent.objects.filter(task=open_task, to_status=Status.CANCELLED).exists()


def test_an_assistant_cannot_cancel_a_project(client_for, assistant, project):
    task = ProjectTaskFactory(project=project)

    response = client_for(assistant).post(reverse("tasks:project_cancel", args=[project.pk]))

    assert response.status_code == 404
    project.refresh_from_db()
    task.refresh_from_db()
    assert (project.state, task.status) == (Project.State.ACTIVE, Status.NEW)


def test_a_closed_project_takes_no_new_milestones(owner, project):
    project.state = Project.State.COMPLETED
    project.save()

    with pytest.raises(projects.ProjectError):
        projects.milestone_add(actor=owner, project=project, title="Late addition")

    assert not Milestone.objects.exists()


def test_someone_outside_the_organization_cannot_start_its_projects(outsider, organization):
    with pytest.raises(PermissionDenied):
        projects.project_create(actor=outsider, organization=organization, title="Sneaky")

    assert not Project.objects.exists()


@pytest.mark.parametrize("user_fixture", ["outsider", "other_assistant", "stranger"])
@pytest.mark.parametrize(
    ("method", "view"),
    [
        ("get", "project_detail"),
        ("get", "project_edit"),
        ("post", "project_edit"),
        ("get", "milestone_add"),
        ("post", "milestone_add"),
        ("post", "milestone_approve"),
        ("post", "project_complete"),
        ("post", "project_cancel"),
    ],
)
def test_another_organizations_people_get_404_and_change_nothing(
    request, client_for, hiring, hiring_task, user_fixture, method, view
):
    user = request.getfixturevalue(user_fixture)
    project = hiring.project
    args = [project.pk, hiring.pk] if view == "milestone_approve" else [project.pk]
    data = {"title": "Taken over", "owner": user.pk, "needs_approval": ""}

    response = getattr(client_for(user), method)(reverse(f"tasks:{view}", args=args), data)

    assert response.status_code == 404
    project.refresh_from_db()
    hiring.refresh_from_db()
    hiring_task.refresh_from_db()
    assert (project.title, project.state) == ("Employee evaluations", "active")
    assert (hiring.approved_at, hiring_task.status) == (None, Status.NEW)
    assert list(project.milestones.all()) == [hiring]
    assert not Task.objects.filter(status=Status.CANCELLED).exists()


def test_an_assistant_whose_engagement_ended_gets_404(client_for, engagement, admin_user, project):
    engagement_end(actor=admin_user, engagement=engagement)

    response = client_for(engagement.assistant).get(
        reverse("tasks:project_detail", args=[project.pk])
    )

    assert response.status_code == 404


def test_a_task_added_from_the_project_page_lands_in_the_project(
    client_for, owner, organization, hiring
):
    client = client_for(owner)
    page = client.get(reverse("tasks:new"), {"project": hiring.project.pk, "milestone": hiring.pk})
    assert page.context["form"]["project"].value() == str(hiring.project.pk)

    client.post(
        reverse("tasks:new"),
        {
            "organization": organization.pk,
            "title": "Shortlist three evaluation firms",
            "category": "other",
            "priority": "1",
            "project": hiring.project.pk,
            "milestone": hiring.pk,
        },
    )

    task = Task.objects.get()
    assert (task.project, task.milestone) == (hiring.project, hiring)


def test_a_task_cannot_be_put_in_another_organizations_project(
    client_for, outsider, other_organization, hiring
):
    response = client_for(outsider).post(
        reverse("tasks:new"),
        {
            "organization": other_organization.pk,
            "title": "Sneaky",
            "category": "other",
            "priority": "1",
            "project": hiring.project.pk,
        },
    )

    assert response.status_code == 400
    assert "project" in response.context["form"].errors
    assert not Task.objects.exists()


def test_a_closed_project_takes_no_new_tasks(owner, organization, project):
    project = projects.project_cancel(actor=owner, project=project)

    with pytest.raises(services.TaskError, match="cancelled"):
        services.task_create(actor=owner, organization=organization, title="Late", project=project)

    assert not Task.objects.exists()


def test_a_task_cannot_mix_one_projects_milestone_with_another_project(
    owner, organization, project, hiring
):
    other = ProjectFactory(organization=organization, owner=owner)

    with pytest.raises(services.TaskError, match="another project"):
        services.task_create(
            actor=owner, organization=organization, title="Mixed", project=other, milestone=hiring
        )

    assert not Task.objects.exists()


def test_take_next_passes_over_work_that_waits_for_the_owners_approval(
    client_for, owner, assistant, organization, hiring, hiring_task, take_next_statements
):
    hiring_task.priority = Priority.URGENT
    hiring_task.save()
    routine = TaskFactory(organization=organization, created_by=owner, title="File receipts")

    response = client_for(assistant).post(reverse("tasks:take_next"))

    assert response["Location"] == reverse("tasks:detail", args=[routine.pk])
    hiring_task.refresh_from_db()
    assert (hiring_task.status, hiring_task.assignee) == (Status.NEW, None)
    assert services.claim_next_task(assistant=assistant) is None
