from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "checkins"
    verbose_name = "Daily check-ins"
