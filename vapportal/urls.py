from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("help/", views.help_page, name="help"),
    path("accounts/", include("accounts.urls")),
    path("clients/", include("clients.urls")),
    path("checkins/team/", include("clients.roster_urls")),
    path("checkins/", include("checkins.urls")),
    path("travel/", include("travel.urls")),
    path("vendors/", include("vendors.urls")),
    path("tasks/", include("tasks.urls")),
    path("staff/", include("staff.urls")),
    path("admin/", admin.site.urls),
]

# A refusal is a 404, whichever view raised it (DESIGN: "never a 403 that confirms it exists").
handler403 = "vapportal.views.refused"
