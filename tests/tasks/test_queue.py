import threading
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assistants.services import engagements_hand_over
from tasks import services
from tasks.models import Status, Task
from tests.factories import AssistantFactory, EngagementFactory, OrganizationFactory, TaskFactory
from tests.helpers import at_the_same_moment, queries_for

QUEUE = reverse("tasks:queue")


def make_task(organization, owner, **fields):
    return TaskFactory(organization=organization, created_by=owner, **fields)


def test_queue_orders_by_priority_then_due_time_then_age(
    client_for, owner, assistant, organization
):
    now = timezone.now()
    late_normal = make_task(
        organization, owner, title="late normal", due_at=now + timedelta(days=3)
    )
    overdue_normal = make_task(
        organization, owner, title="overdue normal", due_at=now - timedelta(hours=1)
    )
    undated_urgent = make_task(organization, owner, title="urgent", priority=3)
    old_undated = make_task(organization, owner, title="old", created_at=now - timedelta(days=5))

    response = client_for(assistant).get(QUEUE)

    assert [row.pk for row in response.context["page"]] == [
        undated_urgent.pk,
        overdue_normal.pk,
        late_normal.pk,
        old_undated.pk,
    ]
    assert "Overdue" in response.content.decode()


def test_queue_spans_every_engaged_client_but_not_others(
    client_for, owner, assistant, organization, other_organization
):
    second_client = OrganizationFactory(name="Fox Valley Motors")
    EngagementFactory(assistant=assistant, organization=second_client, role="primary")
    mine = make_task(organization, owner)
    theirs = make_task(second_client, owner)
    foreign = make_task(other_organization, owner)
    taken_by_someone_else = make_task(organization, owner)
    backup = EngagementFactory(organization=organization, role="backup").assistant
    services.task_claim(actor=backup, task=taken_by_someone_else)

    listed = {row.pk for row in client_for(assistant).get(QUEUE).context["page"]}

    assert listed == {mine.pk, theirs.pk}
    assert foreign.pk not in listed


def test_queue_filters_by_client_status_category_and_due(
    client_for, owner, assistant, organization
):
    now = timezone.now()
    travel = make_task(organization, owner, category="travel", due_at=now - timedelta(hours=2))
    make_task(organization, owner, category="research", due_at=now + timedelta(days=10))
    client = client_for(assistant)

    def listed(**params):
        return [row.pk for row in client.get(QUEUE, params).context["page"]]

    assert listed(category="travel") == [travel.pk]
    assert listed(due="overdue") == [travel.pk]
    assert listed(status="in_progress") == []
    assert len(listed(organization=organization.pk)) == 2


def test_a_foreign_client_in_the_filter_shows_nothing_of_it(
    client_for, assistant, other_organization, outsider
):
    make_task(other_organization, outsider)

    response = client_for(assistant).get(QUEUE, {"organization": other_organization.pk})

    assert not any(t.organization_id == other_organization.pk for t in response.context["page"])


def test_owners_have_no_queue(client_for, owner):
    assert client_for(owner).get(QUEUE).status_code == 404


def test_take_next_claims_the_top_of_the_pool(
    client_for, owner, assistant, organization, take_next_statements
):
    make_task(organization, owner, title="normal")
    urgent = make_task(organization, owner, title="urgent", priority=3)

    response = client_for(assistant).post(reverse("tasks:take_next"))

    urgent.refresh_from_db()
    assert response["Location"] == reverse("tasks:detail", args=[urgent.pk])
    assert (urgent.status, urgent.assignee) == (Status.IN_PROGRESS, assistant)
    taken = [str(message) for message in get_messages(response.wsgi_request)]
    assert taken == [f"You took “urgent” for {organization.name}."]


def test_take_next_on_an_empty_pool_says_so(client_for, assistant):
    response = client_for(assistant).post(reverse("tasks:take_next"), follow=True)

    assert "The pool is empty" in response.content.decode()


def test_take_next_on_an_empty_pool_does_not_look_further_down(owner, assistant, organization):
    backup = EngagementFactory(organization=organization, role="backup").assistant
    for title in ("Call the bank", "File receipts"):
        services.task_claim(actor=backup, task=make_task(organization, owner, title=title))

    with CaptureQueriesContext(connection) as captured:
        assert services.claim_next_task(assistant=assistant) is None

    # One claim on the first window, then one read that finds the window held the whole pool.
    pool_reads = [query for query in captured if "LATERAL" in query["sql"]]
    assert len(pool_reads) == 2


def test_claiming_a_task_someone_just_took_shows_a_clear_message(
    client_for, owner, assistant, organization
):
    task = make_task(organization, owner, title="Call the bank")
    backup = EngagementFactory(organization=organization, role="backup").assistant
    services.task_claim(actor=backup, task=task)

    response = client_for(assistant).post(reverse("tasks:claim", args=[task.pk]), follow=True)

    assert "already took “Call the bank”" in response.content.decode()
    task.refresh_from_db()
    assert task.assignee == backup


def test_claim_from_the_queue_with_htmx_returns_the_updated_row(
    client_for, owner, assistant, organization
):
    task = make_task(organization, owner, title="Call the bank")

    response = client_for(assistant).post(
        reverse("tasks:claim", args=[task.pk]), {"from": "queue"}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert body.startswith(f'<tr id="task-{task.pk}"')
    assert "In progress" in body
    assert "Log" in body


def test_log_time_from_the_queue_without_javascript_returns_to_the_queue(
    client_for, owner, assistant, organization
):
    task = make_task(organization, owner)
    services.task_claim(actor=assistant, task=task)

    response = client_for(assistant).post(
        reverse("tasks:time", args=[task.pk]), {"minutes": "15", "from": "queue"}
    )

    assert response["Location"] == QUEUE
    assert services.logged_minutes(task) == 15


def test_queue_query_count_does_not_grow_with_tasks(
    client_for, owner, assistant, organization, django_assert_num_queries
):
    client = client_for(assistant)
    make_task(organization, owner)
    expected = queries_for(lambda: client.get(QUEUE))

    for n in range(20):
        task = make_task(organization, owner, priority=n % 4)
        if n % 3 == 0:
            services.task_claim(actor=assistant, task=task)

    with django_assert_num_queries(expected):
        response = client.get(QUEUE)
    assert len(response.context["page"].object_list) == 21


def test_queue_pages_through_its_tasks_without_counting_them(
    client_for, owner, assistant, organization
):
    for n in range(30):
        make_task(organization, owner, title=f"task {n:02}")
    client = client_for(assistant)

    first = client.get(QUEUE).content.decode()
    second = client.get(QUEUE, {"page": 2}).content.decode()

    assert first.count('<tr id="task-') == 25
    assert "page=2" in first and "Previous" not in first
    assert second.count('<tr id="task-') == 5
    assert "page=1" in second and "Next" not in second


def test_following_next_visits_every_task_once_in_queue_order(
    client_for, owner, assistant, organization
):
    now = timezone.now()
    for n in range(60):
        due = None if n % 3 == 0 else now + timedelta(hours=n % 7)
        make_task(organization, owner, priority=n % 4, due_at=due)
    client = client_for(assistant)
    expected = list(
        Task.objects.filter(organization=organization).in_queue_order().values_list("id", flat=True)
    )

    seen, url, params = [], QUEUE, {}
    while True:
        page = client.get(url, params).context["page"]
        seen += [task.pk for task in page]
        if not page.has_next:
            break
        params = {"page": page.next_page_number(), "after": page.after}

    assert seen == expected


def test_a_position_that_is_not_one_falls_back_to_the_page_number(
    client_for, owner, assistant, organization
):
    for _ in range(30):
        make_task(organization, owner)

    page = client_for(assistant).get(QUEUE, {"page": 2, "after": "1.x.2.3"}).context["page"]

    assert page.number == 2
    assert len(page) == 5


def test_a_page_past_the_end_of_the_queue_shows_the_last_page(
    client_for, owner, assistant, organization
):
    for _ in range(30):
        make_task(organization, owner)

    past = client_for(assistant).get(QUEUE, {"page": 99})
    nonsense = client_for(assistant).get(QUEUE, {"page": "last"})

    assert past.context["page"].number == 2
    assert len(past.context["page"]) == 5
    assert nonsense.context["page"].number == 1


def test_queue_rows_escape_what_clients_wrote(client_for, owner, assistant, organization):
    make_task(organization, owner, title="<script>alert(1)</script> & co")

    body = client_for(assistant).get(QUEUE).content.decode()

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in body


def test_the_client_filter_escapes_client_names_and_keeps_the_chosen_one(
    client_for, assistant, organization
):
    organization.name = 'Cars "R" <Us>'
    organization.save()

    body = client_for(assistant).get(QUEUE, {"organization": organization.pk}).content.decode()

    assert (
        f'<option value="{organization.pk}" selected>Cars &quot;R&quot; &lt;Us&gt;</option>' in body
    )
    assert '<option value="" selected>Any status</option>' in body


def test_hand_over_moves_open_tasks_to_the_new_assistant(
    admin_user, owner, assistant, organization
):
    open_task = make_task(organization, owner)
    services.task_claim(actor=assistant, task=open_task)
    done_task = make_task(organization, owner)
    services.task_claim(actor=assistant, task=done_task)
    services.task_move(actor=assistant, task=done_task, to=Status.DONE)
    marcus = AssistantFactory()

    engagements_hand_over(actor=admin_user, from_assistant=assistant, to_assistant=marcus)

    open_task.refresh_from_db()
    done_task.refresh_from_db()
    assert open_task.assignee == marcus
    assert done_task.assignee == assistant
    assert open_task.events.filter(kind="handed_over").exists()


@pytest.mark.django_db(transaction=True)
def test_two_assistants_taking_next_at_once_get_different_tasks():
    organization = OrganizationFactory()
    first = EngagementFactory(organization=organization).assistant
    second = EngagementFactory(organization=organization, role="backup").assistant
    owner = AssistantFactory()  # any user may be recorded as the writer here
    for n in range(4):
        TaskFactory(organization=organization, created_by=owner, title=f"Task {n}")
    taken = at_the_same_moment(
        lambda: services.claim_next_task(assistant=first),
        lambda: services.claim_next_task(assistant=second),
    )
    claimed = dict(zip((first.pk, second.pk), taken, strict=True))

    assert claimed[first.pk] is not None and claimed[second.pk] is not None
    assert claimed[first.pk].pk != claimed[second.pk].pk
    assert Task.objects.filter(status=Status.IN_PROGRESS).count() == 2


def test_take_next_takes_the_most_urgent_task_across_every_client_but_no_other(
    owner, assistant, organization, other_organization, take_next_statements
):
    second_client = OrganizationFactory(name="Fox Valley Motors")
    EngagementFactory(assistant=assistant, organization=second_client, role="primary")
    now = timezone.now()
    make_task(organization, owner, title="normal", due_at=now + timedelta(hours=1))
    make_task(second_client, owner, title="high, due later", priority=2)
    make_task(
        second_client, owner, title="high, due first", priority=2, due_at=now + timedelta(hours=2)
    )
    make_task(other_organization, owner, title="urgent, but not my client", priority=3)

    taken = [services.claim_next_task(assistant=assistant).title for _ in range(3)]

    assert taken == ["high, due first", "high, due later", "normal"]
    assert services.claim_next_task(assistant=assistant) is None


@pytest.mark.django_db(transaction=True)
def test_take_next_looks_further_down_the_pool_when_the_head_is_being_claimed():
    organization = OrganizationFactory()
    assistant = EngagementFactory(organization=organization).assistant
    owner = AssistantFactory()
    first_window = services.TAKE_NEXT_WINDOWS[0]
    for n in range(first_window + 4):
        TaskFactory(organization=organization, created_by=owner, title=f"Task {n:02}")
    head = list(Task.objects.in_queue_order().values_list("id", flat=True)[:first_window])
    locked, release = threading.Event(), threading.Event()

    def hold_the_head():
        try:
            with transaction.atomic():
                list(Task.objects.filter(id__in=head).select_for_update())
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_head)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        task = services.claim_next_task(assistant=assistant)
    finally:
        release.set()
        holder.join()

    assert task is not None and task.pk not in head
    assert (
        task.pk
        == Task.objects.in_queue_order().exclude(id__in=head).values_list("id", flat=True)[0]
    )


def test_the_queue_shows_the_running_timer_at_the_top_and_on_its_row(
    client_for, owner, assistant, organization
):
    timed = services.task_claim(
        actor=assistant, task=make_task(organization, owner, title="Renew the domain")
    )
    other = services.task_claim(
        actor=assistant, task=make_task(organization, owner, title="Book the venue")
    )
    client = client_for(assistant)
    before = client.get(QUEUE).content.decode()
    services.timer_start(actor=assistant, task=timed)

    after = client.get(QUEUE).content.decode()

    assert 'id="running-timer"' not in before and "Your timer is running" not in before
    top = after.split('id="running-timer"')[1].split("</div>")[0]
    assert "Renew the domain" in top and reverse("tasks:detail", args=[timed.pk]) in top
    assert "Your timer is running" in row_of(after, timed)
    assert "Your timer is running" not in row_of(after, other)


def test_a_queue_row_answered_by_htmx_keeps_its_timer(client_for, owner, assistant, organization):
    task = services.task_claim(actor=assistant, task=make_task(organization, owner))
    services.timer_start(actor=assistant, task=task)

    response = client_for(assistant).post(
        reverse("tasks:time", args=[task.pk]),
        {"minutes": "5", "from": "queue"},
        HTTP_HX_REQUEST="true",
    )

    assert response.content.decode().startswith(f'<tr id="task-{task.pk}"')
    assert "Your timer is running" in response.content.decode()


def test_a_timer_on_a_client_whose_engagement_ended_is_not_shown_on_the_queue(
    client_for, owner, assistant, organization, engagement, admin_user
):
    from assistants.services import engagement_end

    task = services.task_claim(actor=assistant, task=make_task(organization, owner))
    services.timer_start(actor=assistant, task=task)
    engagement_end(actor=admin_user, engagement=engagement)

    page = client_for(assistant).get(QUEUE).content.decode()

    assert 'id="running-timer"' not in page


def test_queue_query_count_does_not_grow_with_tasks_while_a_timer_runs(
    client_for, owner, assistant, organization, django_assert_num_queries
):
    client = client_for(assistant)
    timed = services.task_claim(actor=assistant, task=make_task(organization, owner))
    services.timer_start(actor=assistant, task=timed)
    expected = queries_for(lambda: client.get(QUEUE))

    for _ in range(10):
        make_task(organization, owner)

    with django_assert_num_queries(expected):
        response = client.get(QUEUE)
    page = response.content.decode()
    assert 'id="running-timer"' in page and page.count("Your timer is running") == 1


def row_of(page: str, task) -> str:
    return page.split(f'<tr id="task-{task.pk}"')[1].split("</tr>")[0]
