from django.urls import path

from .views import recurring

urlpatterns = [
    path("", recurring.recurring_list, name="recurring"),
    path("new/", recurring.recurring_new, name="recurring_new"),
    path("preview/", recurring.recurring_preview, name="recurring_preview"),
    path("<int:pk>/", recurring.recurring_detail, name="recurring_detail"),
    path("<int:pk>/edit/", recurring.recurring_edit, name="recurring_edit"),
    path("<int:pk>/pause/", recurring.recurring_pause, name="recurring_pause"),
    path("<int:pk>/resume/", recurring.recurring_resume, name="recurring_resume"),
    path("<int:pk>/skip/", recurring.recurring_skip, name="recurring_skip"),
    path("<int:pk>/restore/", recurring.recurring_restore, name="recurring_restore"),
    path("<int:pk>/end/", recurring.recurring_end, name="recurring_end"),
]
