from django.urls import path

from .views import projects

urlpatterns = [
    path("", projects.project_list, name="projects"),
    path("new/", projects.project_new, name="project_new"),
    path("<int:pk>/", projects.project_detail, name="project_detail"),
    path("<int:pk>/edit/", projects.project_edit, name="project_edit"),
    path("<int:pk>/complete/", projects.project_complete, name="project_complete"),
    path("<int:pk>/cancel/", projects.project_cancel, name="project_cancel"),
    path("<int:pk>/milestones/", projects.milestone_add, name="milestone_add"),
    path(
        "<int:pk>/milestones/<int:milestone_pk>/approve/",
        projects.milestone_approve,
        name="milestone_approve",
    ),
]
