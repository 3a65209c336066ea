from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.models import User
from assistants.models import AssistantProfile, Engagement
from clients.models import Membership, Organization, TeamMember
from tasks.models import Task

PASSWORD = "correct-horse-battery-9"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    timezone = "America/Chicago"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AdminFactory(UserFactory):
    is_staff = True


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Client {n}")
    slug = factory.Sequence(lambda n: f"client-{n}")
    timezone = "America/Chicago"


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.OWNER


class AssistantFactory(UserFactory):
    profile = factory.RelatedFactory(
        "tests.factories.AssistantProfileFactory", factory_related_name="user"
    )


class AssistantProfileFactory(DjangoModelFactory):
    class Meta:
        model = AssistantProfile

    user = factory.SubFactory(UserFactory)
    skills = "Scheduling, travel"


class EngagementFactory(DjangoModelFactory):
    class Meta:
        model = Engagement

    assistant = factory.SubFactory(AssistantFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Engagement.Role.PRIMARY
    can_book_travel = True
    travel_budget_limit = Decimal("1500")


class TeamMemberFactory(DjangoModelFactory):
    class Meta:
        model = TeamMember

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"employee{n}@example.com")
    location = "Neenah dealership"


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = Task

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Task {n}")
    details = "Please handle this."
    created_by = factory.SubFactory(UserFactory)
    requested_by = factory.SelfAttribute("created_by")
