"""The console's sweeping actions (hand-over, deactivating an account, ending an engagement)
ask to confirm on a page that says what will happen, without JavaScript: a GET shows the
page, its POST acts. After a hand-over the admin sees what moved."""

import html
from datetime import date, time

import pytest
from django.urls import reverse

from accounts.models import User
from assistants.models import Engagement
from tasks import recurring
from tasks import services as task_services
from tasks.models import Status
from tests.factories import (
    AssistantFactory,
    EngagementFactory,
    MembershipFactory,
    OrganizationFactory,
    TaskFactory,
)
from tests.helpers import queries_for
from vendors.models import Message


@pytest.fixture
def marcus(db):
    return AssistantFactory(full_name="Marcus Webb", email="marcus@vaportal.example")


@pytest.fixture
def banners(owner, organization, assistant):
    task = TaskFactory(organization=organization, created_by=owner, title="Order the banners")
    return task_services.task_claim(actor=assistant, task=task)


@pytest.fixture
def weekly_report(owner, organization, assistant):
    return recurring.recurring_task_create(
        actor=owner,
        organization=organization,
        title="Send the weekly sales report",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        starts_on=date(2026, 1, 1),
        due_time=time(9, 0),
        timezone="America/Chicago",
        assignee=assistant,
    )


@pytest.fixture
def conversation(organization, vendor, assistant):
    return Message.objects.create(
        organization=organization,
        vendor=vendor,
        direction="out",
        status="sent",
        subject="Detailing for the showroom cars",
        body="Could you come on Friday?",
        handled_by=assistant,
    )


def hand_over_query(source, target) -> dict:
    return {"from_assistant": source.pk, "to_assistant": target.pk}


# Hand-over.


def test_the_hand_over_form_asks_by_get_for_the_confirm_page(client_for, admin_user):
    page = client_for(admin_user).get(reverse("staff:hand_over")).content.decode()

    assert f'<form method="get" action="{reverse("staff:hand_over")}"' in page
    assert "Review the hand-over" in page


def test_the_confirm_page_says_what_will_move_and_moves_nothing(
    client_for,
    admin_user,
    organization,
    other_organization,
    engagement,
    assistant,
    marcus,
    banners,
    weekly_report,
    conversation,
):
    EngagementFactory(assistant=assistant, organization=other_organization, role="backup")

    response = client_for(admin_user).get(
        reverse("staff:hand_over"), hand_over_query(assistant, marcus)
    )

    page = response.content.decode()
    assert "Hand Rhonda Hayes's work to Marcus Webb?" in page
    assert "2 clients move to Marcus Webb" in page
    assert "1 open task, 1 recurring task, no trips and 1 vendor conversation" in page
    for text in (
        "Bergstrom Cars",
        "Lakeshore Dental Group",
        "Order the banners",
        "Send the weekly sales report",
        "Detailing for the showroom cars",
    ):
        assert text in page, text
    assert '<form method="post"' in page
    assert f'type="hidden" name="from_assistant" value="{assistant.pk}"' in page
    assert f'type="hidden" name="to_assistant" value="{marcus.pk}"' in page
    assert "Hand over 2 clients" in page
    banners.refresh_from_db()
    weekly_report.refresh_from_db()
    engagement.refresh_from_db()
    assert (banners.assignee, weekly_report.assignee) == (assistant, assistant)
    assert engagement.is_active
    assert not Engagement.objects.filter(assistant=marcus).exists()


def test_after_the_hand_over_the_admin_sees_what_moved_client_by_client(
    client_for, admin_user, assistant, marcus, banners, weekly_report, conversation
):
    response = client_for(admin_user).post(
        reverse("staff:hand_over"), hand_over_query(assistant, marcus)
    )

    page = response.content.decode()
    assert "1 client handed over from Rhonda Hayes to Marcus Webb." in page
    assert (
        "Now Marcus Webb's: 1 open task, 1 recurring task, no trips and 1 vendor conversation"
        in page
    )
    for text in ("Order the banners", "Send the weekly sales report", conversation.subject):
        assert text in page, text
    banners.refresh_from_db()
    weekly_report.refresh_from_db()
    assert (banners.assignee, weekly_report.assignee) == (marcus, marcus)


def test_handing_over_several_clients_says_clients(
    client_for, admin_user, assistant, other_organization, marcus
):
    EngagementFactory(assistant=assistant, organization=other_organization, role="backup")

    response = client_for(admin_user).post(
        reverse("staff:hand_over"), hand_over_query(assistant, marcus)
    )

    assert "2 clients handed over from Rhonda Hayes to Marcus Webb." in response.content.decode()


def test_an_assistant_with_nothing_to_hand_over_is_told_so_before_any_confirm_page(
    client_for, admin_user, marcus
):
    idle = AssistantFactory(full_name="Dana Cole")

    response = client_for(admin_user).get(reverse("staff:hand_over"), hand_over_query(idle, marcus))

    assert response.templates[0].name == "staff/hand_over.html"
    assert "Dana Cole has no clients to hand over." in response.content.decode()


def test_a_confirm_page_for_the_same_assistant_twice_is_a_form_error(
    client_for, admin_user, engagement
):
    response = client_for(admin_user).get(
        reverse("staff:hand_over"), hand_over_query(engagement.assistant, engagement.assistant)
    )

    assert "to_assistant" in response.context["form"].errors
    engagement.refresh_from_db()
    assert engagement.is_active


def test_a_link_naming_the_first_assistant_fills_in_the_form(client_for, admin_user, engagement):
    response = client_for(admin_user).get(
        reverse("staff:hand_over"), {"from_assistant": engagement.assistant.pk}
    )

    form = response.context["form"]
    assert not form.is_bound
    assert f'<option value="{engagement.assistant.pk}" selected>' in response.content.decode()


# Ending an engagement.


def test_ending_an_engagement_asks_first_and_says_her_work_goes_back_to_the_pool(
    client_for, admin_user, engagement, banners, weekly_report
):
    url = reverse("staff:engagement_end", args=[engagement.pk])

    page = client_for(admin_user).get(url).content.decode()

    assert "End Rhonda Hayes's engagement with Bergstrom Cars?" in page
    assert "Back to the pool, for whoever takes it next: 1 open task, 1 recurring task" in page
    assert "Order the banners" in page and "Send the weekly sales report" in page
    assert "no notifications, due reminders or digests" in page
    assert f'<form method="post" action="{url}">' in page
    engagement.refresh_from_db()
    banners.refresh_from_db()
    assert engagement.is_active
    assert banners.assignee == engagement.assistant


def test_its_post_ends_the_engagement_and_says_what_went_back(
    client_for, admin_user, engagement, banners
):
    response = client_for(admin_user).post(
        reverse("staff:engagement_end", args=[engagement.pk]), follow=True
    )

    assert (
        "Rhonda Hayes's engagement with Bergstrom Cars has ended; back to the pool: "
        "1 open task, no recurring tasks, no trips and no vendor conversations."
    ) in html.unescape(response.content.decode())
    engagement.refresh_from_db()
    banners.refresh_from_db()
    assert not engagement.is_active
    assert (banners.status, banners.assignee) == (Status.NEW, None)


def test_the_engagements_list_links_to_the_confirm_page_instead_of_ending_at_once(
    client_for, admin_user, engagement
):
    page = client_for(admin_user).get(reverse("staff:engagements")).content.decode()

    url = reverse("staff:engagement_end", args=[engagement.pk])
    assert f'href="{url}"' in page
    assert f'action="{url}"' not in page


def test_an_ended_engagement_has_nothing_to_confirm(client_for, admin_user, engagement):
    client = client_for(admin_user)
    client.post(reverse("staff:engagement_end", args=[engagement.pk]))

    response = client.get(reverse("staff:engagement_end", args=[engagement.pk]), follow=True)

    assert "has already ended" in response.content.decode()


# Deactivating an account.


def test_deactivating_an_assistant_asks_first_and_warns_her_work_stays_with_her(
    client_for, admin_user, engagement, banners
):
    assistant = engagement.assistant
    url = reverse("staff:deactivate", args=[assistant.pk])

    page = client_for(admin_user).get(url).content.decode()

    assert f"Deactivate Rhonda Hayes ({assistant.email})?" in page
    assert "can no longer sign in" in page
    assert "still works for 1 client: Bergstrom Cars" in page
    assert "1 open task stays with Rhonda Hayes" in page
    assert f"{reverse('staff:hand_over')}?from_assistant={assistant.pk}" in page
    assert f'<form method="post" action="{url}">' in page
    assistant.refresh_from_db()
    assert assistant.is_active


def test_deactivating_an_owner_asks_first_and_names_their_organization(
    client_for, admin_user, owner
):
    page = client_for(admin_user).get(reverse("staff:deactivate", args=[owner.pk])).content.decode()

    assert "Renard Bergstrom stays owner of Bergstrom Cars" in page
    owner.refresh_from_db()
    assert owner.is_active


def test_the_accounts_list_links_to_the_confirm_page_instead_of_deactivating_at_once(
    client_for, admin_user, owner
):
    page = client_for(admin_user).get(reverse("staff:accounts")).content.decode()

    url = reverse("staff:deactivate", args=[owner.pk])
    assert f'href="{url}"' in page
    assert f'action="{url}"' not in page


def test_the_confirm_page_for_oneself_offers_no_button(client_for, admin_user):
    url = reverse("staff:deactivate", args=[admin_user.pk])

    page = client_for(admin_user).get(url).content.decode()

    assert "You cannot deactivate your own account." in page
    assert f'action="{url}"' not in page


@pytest.mark.parametrize("user_fixture", ["owner", "assistant", "outsider"])
def test_the_confirm_pages_are_404_for_everyone_but_admins(
    request, client_for, user_fixture, engagement, owner
):
    client = client_for(request.getfixturevalue(user_fixture))

    assert client.get(reverse("staff:deactivate", args=[owner.pk])).status_code == 404
    assert client.get(reverse("staff:engagement_end", args=[engagement.pk])).status_code == 404
    assert client.get(reverse("staff:hand_over")).status_code == 404


def test_confirm_pages_for_ids_that_are_not_there_are_404(client_for, admin_user):
    client = client_for(admin_user)

    assert client.get(reverse("staff:deactivate", args=[987654])).status_code == 404
    assert client.get(reverse("staff:engagement_end", args=[987654])).status_code == 404


# The drop-downs tell people of the same name apart.


def test_the_staff_drop_downs_show_each_persons_email(client_for, admin_user, organization):
    first = AssistantFactory(full_name="Sam Lee", email="sam.lee@vaportal.example")
    second = AssistantFactory(full_name="Sam Lee", email="slee@vaportal.example")
    MembershipFactory(organization=organization, user__email="renard@bergstromcars.example")
    twin = OrganizationFactory(name="Bergstrom Cars", slug="bergstrom-cars-green-bay")
    client = client_for(admin_user)

    engagement_form = client.get(reverse("staff:engagement_new")).content.decode()
    hand_over_form = client.get(reverse("staff:hand_over")).content.decode()
    invitation_form = client.get(reverse("staff:invitation_new")).content.decode()

    for page in (engagement_form, hand_over_form):
        assert f'<option value="{first.pk}">Sam Lee (sam.lee@vaportal.example)</option>' in page
        assert f'<option value="{second.pk}">Sam Lee (slee@vaportal.example)</option>' in page
    for page in (engagement_form, invitation_form):
        assert (
            f'<option value="{organization.pk}">Bergstrom Cars (renard@bergstromcars.example)'
            in page
        )
        assert f'<option value="{twin.pk}">Bergstrom Cars (bergstrom-cars-green-bay)' in page


def test_a_deactivated_assistant_can_still_be_handed_over_and_is_marked_so(
    client_for, admin_user, engagement
):
    assistant = engagement.assistant
    User.objects.filter(pk=assistant.pk).update(is_active=False)

    page = client_for(admin_user).get(reverse("staff:hand_over")).content.decode()

    assert f"Rhonda Hayes ({assistant.email}), deactivated</option>" in page


def test_the_invitation_form_reads_the_owners_in_one_query_however_many_clients(
    client_for, admin_user, django_assert_num_queries
):
    client = client_for(admin_user)
    MembershipFactory()
    expected = queries_for(lambda: client.get(reverse("staff:invitation_new")))

    MembershipFactory.create_batch(8)

    with django_assert_num_queries(expected):
        client.get(reverse("staff:invitation_new"))
