"""Settings shared by every environment; values come from the environment or a `.env` file."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-key-not-for-production")
# Travel profiles' sensitive numbers are encrypted (django-fernet-encrypted-fields) with keys
# derived from SECRET_KEY and these salts: the first encrypts, all of them decrypt (rotation:
# put a new one first, re-save the profiles, then drop the old one).
SALT_KEY = env.list("TRAVEL_ENCRYPTION_KEYS", default=["local-development-travel-key"])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Links in emails. Without SITE_URL they point where make run's web server listens.
SITE_URL = env("SITE_URL", default="") or "http://{}".format(
    env("WEB_ADDRESS", default="127.0.0.1:8000").replace("0.0.0.0:", "127.0.0.1:")  # noqa: S104
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    "csp",
    "vapportal",
    "accounts",
    "clients",
    "assistants",
    "staff",
    "tasks",
    "checkins",
    "travel",
    "vendors",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "vapportal.urls"
WSGI_APPLICATION = "vapportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # The portal's filters (dates, times, badges, Markdown) stand in every template.
            "builtins": ["vapportal.templatetags.portal"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

VAR_DIR.mkdir(exist_ok=True)
# An empty DATABASE_URL or CELERY_BROKER_URL is no setting: make run's embedded defaults.
DATABASES = {
    "default": env.db_url_config(
        env("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # make run's web, worker and beat write to one file at once: readers never wait for a
    # writer (WAL), a writer waits its turn instead of failing, and a transaction takes the
    # write lock when it begins rather than failing halfway when it first writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The queue's covering indexes are a PostgreSQL optimization; SQLite (make run's default)
# builds them without their extra columns, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3
INVITATION_MAX_AGE = timedelta(days=7)

# Failed logins: five tries per account and address, then a fifteen-minute lock-out.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.forms.login_username"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"


# No inline scripts or styles anywhere; htmx is told not to inject its indicator styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # YouTube's still of a check-in video.
        "img-src": [SELF, "data:", "https://img.youtube.com"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# Email: console in development, SMTP in production (EMAIL_URL), locmem in tests.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="VA Portal <portal@vaportal.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 20

# Celery: a filesystem broker under var/ unless CELERY_BROKER_URL names Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    (_broker_dir / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat only ticks; each task finds the due work in the database and is safe to repeat.
CELERY_BEAT_SCHEDULE = {
    "recurring-tasks": {"task": "tasks.tasks.recurring_tasks_dispatch", "schedule": 300},
    "due-reminders": {"task": "tasks.tasks.due_reminders_dispatch", "schedule": 300},
    "notification-digests": {"task": "tasks.tasks.notification_digests_dispatch", "schedule": 300},
    "checkins": {"task": "checkins.tasks.checkins_dispatch", "schedule": 60},
    "routine-trips": {"task": "travel.tasks.routines_dispatch", "schedule": 300},
    "pending-uploads": {"task": "tasks.tasks.pending_uploads_dispatch", "schedule": 3600},
}

# The daily check-in. A delivery still queued this long after it was due lost its task and
# is queued again; one claimed for sending this long ago lost its worker mid-send and is
# marked failed, never sent twice. A temporary SMTP failure waits 30 s, then twice as long...
CHECKIN_REQUEUE_AFTER = env.int("CHECKIN_REQUEUE_AFTER", default=120)
CHECKIN_SENDING_LEASE = env.int("CHECKIN_SENDING_LEASE", default=600)
CHECKIN_RETRY_BACKOFF = env.int("CHECKIN_RETRY_BACKOFF", default=30)
CHECKIN_APPROVAL_MAX_AGE = 7 * 24 * 3600
CHECKIN_ARCHIVE_MAX_AGE = 400 * 24 * 3600
TRIP_APPROVAL_MAX_AGE = 7 * 24 * 3600

# Vendor email. Replies come in as raw RFC 822 posts to /vendors/inbound/ carrying this secret
# in the X-Inbound-Secret header (an MTA pipe or a provider's inbound webhook); mail to
# <organization slug>@VENDOR_INBOUND_DOMAIN lands in that organization's inbox.
VENDOR_INBOUND_SECRET = env("VENDOR_INBOUND_SECRET", default="")
VENDOR_INBOUND_DOMAIN = env("VENDOR_INBOUND_DOMAIN", default="in.vaportal.example")
VENDOR_APPROVAL_MAX_AGE = 7 * 24 * 3600

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
