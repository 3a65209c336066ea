"""A task's life: taken, asked about, answered, timed, finished and thanked."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tasks import services
from tasks.models import BudgetRequest, Notification, Status, TaskEvent
from tests.factories import TaskFactory


@pytest.fixture
def task(owner, organization, engagement):
    return TaskFactory(
        organization=organization, created_by=owner, title="Renew the domain", budget_minutes=60
    )


@pytest.fixture
def taken(task, assistant):
    return services.task_claim(actor=assistant, task=task)


def emails_to(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def test_asking_the_client_emails_the_owner_and_their_answer_emails_the_assistant(
    client_for, owner, assistant, taken, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(assistant).post(
            reverse("tasks:move", args=[taken.pk]),
            {"to": "waiting", "note": "Which registrar do you prefer?"},
        )
    taken.refresh_from_db()
    assert taken.status == Status.WAITING
    assert "Which registrar do you prefer?" in emails_to(owner)[0].body

    with django_capture_on_commit_callbacks(execute=True):
        client_for(owner).post(reverse("tasks:comment", args=[taken.pk]), {"body": "Namecheap."})

    taken.refresh_from_db()
    assert taken.status == Status.IN_PROGRESS
    assert "answered" in emails_to(assistant)[-1].body
    assert [e.to_status for e in taken.events.filter(kind="moved")] == ["waiting", "in_progress"]


def test_the_answered_email_quotes_the_clients_answer_as_sanitized_text(
    client_for, owner, assistant, taken, django_capture_on_commit_callbacks
):
    services.task_move(
        actor=assistant, task=taken, to=Status.WAITING, note="Which registrar do you prefer?"
    )
    answer = "**Namecheap**, please & keep auto-renew <script>alert('x')</script>on.\n\n- One year"

    with django_capture_on_commit_callbacks(execute=True):
        client_for(owner).post(reverse("tasks:comment", args=[taken.pk]), {"body": answer})

    message = emails_to(assistant)[-1]
    html = message.alternatives[0][0]
    assert message.subject == "The client answered: Renew the domain"
    assert "Namecheap, please & keep auto-renew on.\n\nOne year" in message.body
    assert "Namecheap, please &amp; keep auto-renew on.<br><br>One year" in html
    for text in (message.body, html):
        assert "**" not in text and "script" not in text and "alert" not in text
    notification = Notification.objects.get(user=assistant, kind=Notification.Kind.ANSWERED)
    assert notification.detail == "Namecheap, please & keep auto-renew on.\n\nOne year"


def test_the_answer_is_quoted_in_the_daily_digest_too(
    client_for, owner, assistant, taken, django_capture_on_commit_callbacks
):
    from tasks.notifications import digest_send

    assistant.notify = "daily_digest"
    assistant.save()
    services.task_move(actor=assistant, task=taken, to=Status.WAITING, note="Which registrar?")
    client_for(owner).post(reverse("tasks:comment", args=[taken.pk]), {"body": "_Namecheap_."})

    with django_capture_on_commit_callbacks(execute=True):
        digest_send(user=assistant, now=timezone.now())

    assert "“Namecheap.”" in emails_to(assistant)[-1].body


@pytest.mark.parametrize(
    ("decision", "subject"),
    [("approve", "More time approved"), ("decline", "More time declined")],
)
def test_the_email_about_a_decision_on_more_time_is_titled_with_the_decision(
    client_for, owner, assistant, taken, django_capture_on_commit_callbacks, decision, subject
):
    request = services.budget_request(actor=assistant, task=taken, extra_minutes=30, reason="x")

    with django_capture_on_commit_callbacks(execute=True):
        client_for(owner).post(
            reverse("tasks:budget_decide", args=[request.pk]), {"decision": decision}
        )

    assert [message.subject for message in emails_to(assistant)] == [f"{subject}: Renew the domain"]
    assert f"Renard Bergstrom {decision}d 30 minutes more" in emails_to(assistant)[0].body


def test_an_illegal_move_is_refused_with_a_message_and_changes_nothing(client_for, owner, task):
    response = client_for(owner).post(
        reverse("tasks:move", args=[task.pk]), {"to": "done"}, follow=True
    )

    assert response.status_code == 400
    assert "cannot move to done" in response.content.decode()
    task.refresh_from_db()
    assert task.status == Status.NEW
    assert not task.events.filter(kind="moved").exists()


def test_an_unknown_status_is_refused(client_for, assistant, taken):
    response = client_for(assistant).post(
        reverse("tasks:move", args=[taken.pk]), {"to": "exploded"}
    )

    assert response.status_code == 400
    taken.refresh_from_db()
    assert taken.status == Status.IN_PROGRESS


def test_only_the_assistant_asks_the_client(owner, taken):
    with pytest.raises(services.TaskError):
        services.task_move(actor=owner, task=taken, to=Status.WAITING, note="?")
    taken.refresh_from_db()
    assert taken.status == Status.IN_PROGRESS


def test_reopening_a_done_task_needs_a_reason(owner, assistant, taken):
    services.task_move(actor=assistant, task=taken, to=Status.DONE)

    with pytest.raises(services.TaskError, match="note is needed"):
        services.task_move(actor=owner, task=taken, to=Status.IN_PROGRESS)
    services.task_move(actor=owner, task=taken, to=Status.IN_PROGRESS, note="Wrong year")

    taken.refresh_from_db()
    assert taken.status == Status.IN_PROGRESS
    assert taken.completed_at is None
    assert TaskEvent.objects.filter(task=taken, note="Wrong year").exists()


def test_releasing_a_task_puts_it_back_in_the_pool(assistant, taken):
    services.task_move(actor=assistant, task=taken, to=Status.NEW)

    taken.refresh_from_db()
    assert (taken.status, taken.assignee) == (Status.NEW, None)


def test_time_logged_counts_against_the_budget(client_for, assistant, taken):
    client = client_for(assistant)

    client.post(reverse("tasks:time", args=[taken.pk]), {"minutes": "45", "note": "Research"})
    over = client.post(reverse("tasks:time", args=[taken.pk]), {"minutes": "30"})

    assert over.status_code == 400
    assert "Ask the owner for more time" in over.content.decode()
    assert services.logged_minutes(taken) == 45


def test_logging_one_minute_says_one_minute(client_for, assistant, taken):
    client = client_for(assistant)

    response = client.post(reverse("tasks:time", args=[taken.pk]), {"minutes": "1"}, follow=True)

    assert "Logged 1 minute on “Renew the domain”." in response.content.decode()
    assert services.logged_minutes(taken) == 1


def test_a_budget_of_one_minute_is_counted_in_the_singular(client_for, assistant, taken):
    taken.budget_minutes = 1
    taken.save()

    response = client_for(assistant).post(reverse("tasks:time", args=[taken.pk]), {"minutes": "2"})

    assert response.status_code == 400
    assert "past its budget (0 of 1 minute used)" in response.content.decode()
    assert services.logged_minutes(taken) == 0


def test_asking_for_one_more_minute_is_counted_in_the_singular(client_for, owner, assistant, taken):
    request = services.budget_request(
        actor=assistant, task=taken, extra_minutes=1, reason="Sign the form"
    )
    services.budget_decide(actor=owner, request=request, approve=True)

    asked = Notification.objects.get(user=owner, kind=Notification.Kind.BUDGET)
    decided = Notification.objects.get(user=assistant)
    page = client_for(assistant).get(reverse("tasks:detail", args=[taken.pk])).content.decode()
    assert asked.text == "Rhonda Hayes asks for 1 minute more on “Renew the domain”."
    assert decided.text == "Renard Bergstrom approved 1 minute more on “Renew the domain”."
    assert "Approved: 1 minute more" in page


@pytest.mark.parametrize("minutes", ["0", "-5", "abc", ""])
def test_zero_or_negative_minutes_are_refused(client_for, assistant, taken, minutes):
    response = client_for(assistant).post(
        reverse("tasks:time", args=[taken.pk]), {"minutes": minutes}
    )

    assert response.status_code == 400
    assert services.logged_minutes(taken) == 0


def test_owner_cannot_log_time(client_for, owner, taken):
    response = client_for(owner).post(reverse("tasks:time", args=[taken.pk]), {"minutes": "5"})

    assert response.status_code == 404
    assert services.logged_minutes(taken) == 0


def test_more_time_is_asked_for_and_approved_by_the_owner(client_for, owner, assistant, taken):
    services.time_entry_log(actor=assistant, task=taken, minutes=60)
    client_for(assistant).post(
        reverse("tasks:budget_request", args=[taken.pk]),
        {"extra_minutes": "30", "reason": "The registrar needs a transfer code"},
    )
    request = BudgetRequest.objects.get()

    client_for(owner).post(
        reverse("tasks:budget_decide", args=[request.pk]), {"decision": "approve"}
    )

    taken.refresh_from_db()
    request.refresh_from_db()
    assert taken.budget_minutes == 90
    assert request.decision == "approved"
    assert services.time_entry_log(actor=assistant, task=taken, minutes=30).minutes == 30


def test_a_declined_request_leaves_the_budget(client_for, owner, assistant, taken):
    request = services.budget_request(actor=assistant, task=taken, extra_minutes=30, reason="x")

    client_for(owner).post(
        reverse("tasks:budget_decide", args=[request.pk]), {"decision": "decline"}
    )

    taken.refresh_from_db()
    assert taken.budget_minutes == 60
    with pytest.raises(services.TaskError, match="already decided"):
        services.budget_decide(actor=owner, request=request, approve=True)


def test_an_assistant_cannot_approve_their_own_request(client_for, assistant, taken):
    request = services.budget_request(actor=assistant, task=taken, extra_minutes=30, reason="x")

    response = client_for(assistant).post(
        reverse("tasks:budget_decide", args=[request.pk]), {"decision": "approve"}
    )

    assert response.status_code == 404
    taken.refresh_from_db()
    assert taken.budget_minutes == 60


def test_another_organizations_budget_request_is_404(client_for, outsider, assistant, taken):
    request = services.budget_request(actor=assistant, task=taken, extra_minutes=30, reason="x")

    response = client_for(outsider).post(
        reverse("tasks:budget_decide", args=[request.pk]), {"decision": "approve"}
    )

    assert response.status_code == 404
    request.refresh_from_db()
    assert request.decision == "pending"


def test_owner_thanks_the_assistant_who_finished(
    client_for, owner, assistant, taken, django_capture_on_commit_callbacks
):
    services.task_move(actor=assistant, task=taken, to=Status.DONE)

    with django_capture_on_commit_callbacks(execute=True):
        client_for(owner).post(
            reverse("tasks:thank", args=[taken.pk]), {"note": "You saved my week."}
        )

    thanks = taken.acknowledgements.get()
    assert (thanks.from_user, thanks.to_user) == (owner, assistant)
    assert "You saved my week." in emails_to(assistant)[-1].body
    dashboard = client_for(assistant).get(reverse("home")).content.decode()
    profile = client_for(assistant).get(reverse("accounts:profile")).content.decode()
    assert "You saved my week." in dashboard
    assert "You saved my week." in profile


def test_thanking_twice_is_refused(owner, assistant, taken):
    services.task_move(actor=assistant, task=taken, to=Status.DONE)
    services.task_thank(actor=owner, task=taken, note="Thanks")

    with pytest.raises(services.TaskError):
        services.task_thank(actor=owner, task=taken, note="Thanks again")
    assert taken.acknowledgements.count() == 1


def test_the_same_notification_is_never_recorded_twice(owner, taken):
    from tasks.notifications import notify

    first = notify(user=owner, task=taken, kind="done", key="1", text="Done")
    second = notify(user=owner, task=taken, kind="done", key="1", text="Done")

    assert first is not None and second is None
    assert Notification.objects.filter(user=owner, kind="done").count() == 1


def test_notifications_respect_a_preference_for_no_email(
    owner, assistant, taken, django_capture_on_commit_callbacks
):
    owner.notify = "never"
    owner.save()

    with django_capture_on_commit_callbacks(execute=True):
        services.task_move(actor=assistant, task=taken, to=Status.DONE)

    assert emails_to(owner) == []
    assert Notification.objects.get(user=owner, kind="done").sent_at is not None


def test_plain_text_emails_keep_apostrophes_and_ampersands(
    owner, assistant, taken, django_capture_on_commit_callbacks
):
    taken.title = "Q&A for Renard's open house"
    taken.save()
    services.task_move(actor=assistant, task=taken, to=Status.DONE)

    with django_capture_on_commit_callbacks(execute=True):
        services.task_thank(actor=owner, task=taken, note="You're a star & more")

    message = emails_to(assistant)[-1]
    assert message.subject == "You were thanked: Q&A for Renard's open house"
    assert "You're a star & more" in message.body
    assert "You&#x27;re a star &amp; more" in message.alternatives[0][0]


def test_the_owner_sees_the_question_and_no_assistant_only_moves(
    client_for, owner, assistant, taken
):
    services.task_move(actor=assistant, task=taken, to=Status.WAITING, note="Which registrar?")

    response = client_for(owner).get(reverse("tasks:detail", args=[taken.pk]))

    assert "Rhonda Hayes asks: “Which registrar?”" in response.content.decode()
    assert [str(move) for move in response.context["moves"]] == ["in_progress", "done", "cancelled"]


def test_the_assistant_may_ask_the_client_or_release_the_task(client_for, assistant, taken):
    response = client_for(assistant).get(reverse("tasks:detail", args=[taken.pk]))

    assert [str(move) for move in response.context["moves"]] == [
        "waiting",
        "done",
        "cancelled",
        "new",
    ]


def test_ticking_a_checklist_item_with_htmx_updates_the_count(client_for, owner, task):
    from tasks.models import ChecklistItem

    first = ChecklistItem.objects.create(task=task, text="Find the login", position=0)
    ChecklistItem.objects.create(task=task, text="Pay", position=1)

    response = client_for(owner).post(
        reverse("tasks:checklist_toggle", args=[task.pk, first.pk]), HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert f'id="checklist-{first.pk}"' in body
    assert 'id="checklist-count" hx-swap-oob="true">(1 of 2)' in " ".join(body.split())
    first.refresh_from_db()
    assert first.done


def test_another_organizations_checklist_item_is_404(client_for, outsider, task):
    from tasks.models import ChecklistItem

    item = ChecklistItem.objects.create(task=task, text="Find the login")

    response = client_for(outsider).post(reverse("tasks:checklist_toggle", args=[task.pk, item.pk]))

    assert response.status_code == 404
    item.refresh_from_db()
    assert not item.done
