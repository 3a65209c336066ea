"""Projects, milestones and the tasks in them. The owner and organization are passed in by the
tests (the owner must be an owner or manager of the organization)."""

import factory
from factory.django import DjangoModelFactory

from tasks.models import Milestone, Project, Status, Task
from tests.factories import OrganizationFactory, UserFactory


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project

    organization = factory.SubFactory(OrganizationFactory)
    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Project {n}")
    description = "Take the employee evaluations off Renard's plate."


class MilestoneFactory(DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Milestone {n}")
    position = factory.Sequence(lambda n: n)


class ProjectTaskFactory(DjangoModelFactory):
    """A task in a project (and, if given, one of its milestones), in the pool."""

    class Meta:
        model = Task

    project = factory.SubFactory(ProjectFactory)
    organization = factory.SelfAttribute("project.organization")
    title = factory.Sequence(lambda n: f"Project task {n}")
    created_by = factory.SelfAttribute("project.owner")
    requested_by = factory.SelfAttribute("created_by")
    status = Status.NEW
