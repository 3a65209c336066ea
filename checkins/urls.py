from django.urls import path

from . import views

app_name = "checkins"

urlpatterns = [
    path("", views.checkin_list, name="list"),
    path("new/", views.checkin_new, name="new"),
    path("preview/", views.preview, name="preview"),
    path("settings/", views.checkin_settings, name="settings"),
    path("<int:pk>/", views.checkin_detail, name="detail"),
    path("<int:pk>/edit/", views.checkin_edit, name="edit"),
    path("<int:pk>/video/", views.checkin_video, name="video"),
    path("<int:pk>/submit/", views.checkin_act, {"action": "submit"}, name="submit"),
    path("<int:pk>/approve/", views.checkin_act, {"action": "approve"}, name="approve"),
    path("<int:pk>/decline/", views.checkin_act, {"action": "decline"}, name="decline"),
    path("<int:pk>/cancel/", views.checkin_act, {"action": "cancel"}, name="cancel"),
    path("approve/<str:token>/", views.approve_link, name="approve_link"),
    path("read/<str:token>/", views.read, name="read"),
    path("read/<str:token>/video/", views.read_video, name="read_video"),
]
