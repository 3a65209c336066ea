from django.urls import path

from . import views

app_name = "roster"

urlpatterns = [
    path("", views.roster, name="list"),
    path("new/", views.team_member_new, name="new"),
    path("import/", views.roster_import, name="import"),
    path("<int:pk>/edit/", views.team_member_edit, name="edit"),
    path(
        "<int:pk>/deactivate/",
        views.team_member_set_active,
        {"active": False},
        name="deactivate",
    ),
    path(
        "<int:pk>/reactivate/",
        views.team_member_set_active,
        {"active": True},
        name="reactivate",
    ),
]
