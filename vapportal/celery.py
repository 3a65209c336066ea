import os

from celery import Celery

# The same settings as the web process (wsgi.py): production unless the environment names
# others, so a worker without its secrets refuses to start instead of signing with a
# development key. make run's Procfile names the development settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vapportal.settings.production")

app = Celery("vapportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
