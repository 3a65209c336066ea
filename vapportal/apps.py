from django.apps import AppConfig


class VapportalConfig(AppConfig):
    name = "vapportal"
    verbose_name = "VA Portal"
