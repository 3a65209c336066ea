from django.urls import path

from . import views

app_name = "clients"

urlpatterns = [
    path("<int:pk>/", views.organization_detail, name="organization_detail"),
    path("<int:pk>/settings/", views.organization_settings, name="organization_settings"),
]
