from django.urls import path

from . import views

app_name = "travel"

urlpatterns = [
    path("", views.trip_list, name="list"),
    path("trips/new/", views.trip_new, name="trip_new"),
    path("trips/<int:pk>/", views.trip_detail, name="trip"),
    path("trips/<int:pk>/segments/", views.segment_add, name="segment_add"),
    path("trips/<int:pk>/itinerary/", views.itinerary, name="itinerary"),
    path("trips/<int:pk>/itinerary.ics", views.itinerary_ics, name="itinerary_ics"),
    path("trips/<int:pk>/book/", views.trip_act, {"action": "book"}, name="book"),
    path("trips/<int:pk>/approve/", views.trip_act, {"action": "approve"}, name="approve"),
    path("trips/<int:pk>/decline/", views.trip_act, {"action": "decline"}, name="decline"),
    path("trips/<int:pk>/cancel/", views.trip_cancel, name="cancel"),
    path("trips/<int:pk>/complete/", views.trip_act, {"action": "complete"}, name="complete"),
    path("trips/<int:pk>/thank/", views.trip_act, {"action": "thank"}, name="thank"),
    path("segments/<int:pk>/", views.segment_edit, name="segment_edit"),
    path("segments/<int:pk>/cancel/", views.segment_cancel, name="segment_cancel"),
    path("approve/<str:token>/", views.approve_link, name="approve_link"),
    path("profile/", views.profile, name="profile"),
    path("profile/feed/", views.feed_regenerate, name="feed_regenerate"),
    path("profile/<int:user_id>/", views.profile, name="profile_of"),
    path("profile/<int:user_id>/reveal/", views.profile_reveal, name="reveal"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
    path("routines/", views.routine_list, name="routines"),
    path("routines/new/", views.routine_new, name="routine_new"),
    path("routines/preview/", views.routine_preview, name="routine_preview"),
    path("routines/<int:pk>/", views.routine_detail, name="routine"),
    path("routines/<int:pk>/pause/", views.routine_act, {"action": "pause"}, name="routine_pause"),
    path(
        "routines/<int:pk>/resume/", views.routine_act, {"action": "resume"}, name="routine_resume"
    ),
    path("routines/<int:pk>/end/", views.routine_act, {"action": "end"}, name="routine_end"),
    path("routines/<int:pk>/skip/", views.routine_act, {"action": "skip"}, name="routine_skip"),
]
