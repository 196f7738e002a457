"""The one settings module, driven by environment variables.

Production is the default: DEBUG off, secure cookies, and no secret or broker
falls back to a guess. Development is explicit (`DJANGO_DEBUG=true`, which
`make run` sets) and runs on embedded defaults: SQLite, a filesystem Celery
broker and emails on the console. Tests are explicit too: pytest sets
`DJANGO_TESTING=true` (pyproject.toml, [tool.pytest.ini_options] env), which gives
the development defaults without DEBUG, a fast password hasher and eager Celery
unless a test asks for the real thing.

Every variable is listed in docs/configuration.md.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Final

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # SQLite database, broker folder, mail folder: never committed

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Set by pytest only (pyproject.toml); never in production (docs/configuration.md).
TESTING = env.bool("DJANGO_TESTING", default=False)
DEVELOPMENT = DEBUG or TESTING

if DEVELOPMENT:
    SECRET_KEY = env("DJANGO_SECRET_KEY", default="development-only-not-secret")
else:
    SECRET_KEY = env("DJANGO_SECRET_KEY")  # no default: a missing secret fails loudly

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]"] if DEVELOPMENT else [],
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "clinic.apps.ClinicAdminConfig",  # django.contrib.admin with our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_celery_beat",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",  # django-bootstrap-static: Bootstrap served from our own static files
    "csp",  # django-csp: its system checks; the header comes from CSPMiddleware
    "screening",
]
MIDDLEWARE = [
    "screening.web.logging.RequestLogMiddleware",  # first: the request id, one log line a request
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cache-Control: no-store on every response, strict-origin on email-link pages; after
    # SecurityMiddleware (which sets Referrer-Policy only where none is set) and whitenoise
    "screening.web.headers.PrivateResponseHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "screening.web.errors.MaintenanceModeMiddleware",  # before sessions: no database needed
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "screening.web.languages.StaffPagesInEnglishMiddleware",  # staff pages and admin in English
    "django.middleware.common.CommonMiddleware",
    "screening.web.ratelimit.RateLimitMiddleware",  # public POSTs per address; before CSRF
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "screening.accounts.middleware.StaffIdleTimeoutMiddleware",  # after auth, OTP and messages
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-axes last: it turns a locked-out login into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "screening.web.context_processors.clinic",
                "screening.web.context_processors.staff_alerts",
            ],
        },
    },
]

# Database: SQLite in var/ unless DATABASE_URL names another (postgres://user@host:5432/name).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
# A persistent connection is checked (SELECT 1) before a request or task reuses it, so
# after a database restart or failover no process answers its next request with a 500.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and not TESTING:
    # `make run`'s web, worker and beat share one SQLite file. A transaction that reads
    # and then writes (update_or_create) while another process writes fails at once with
    # "database is locked" in SQLite's default mode: take the write lock at BEGIN, wait
    # up to 20 s for it, and let readers go on during a write (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE", timeout=20, init_command="PRAGMA journal_mode=WAL"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Staff sign-in: Argon2 hashes, lockout after repeated failures (django-axes), a second
# factor (django-otp) for everything under /staff/, logout after idle time.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:  # hashing cost is not what the tests measure
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)  # hours
# Two counts, one limit: a username at an address, and an address over every username it
# tries (so spraying many usernames from one address is stopped too). django-axes 8 has a
# single AXES_FAILURE_LIMIT for both. The address is the app's one client address (behind a
# proxy, TRUSTED_PROXIES below), so lockouts are per real client; where even that is shared
# the per-address count can be turned off (docs/staff-access.md).
AXES_CLIENT_IP_CALLABLE = "screening.web.addresses.client_ip"
AXES_LOCKOUT_PARAMETERS: list[str | list[str]] = [["username", "ip_address"]]
if env.bool("AXES_LOCKOUT_PER_ADDRESS", default=True):
    AXES_LOCKOUT_PARAMETERS.append("ip_address")
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "screening.accounts.views.locked_out"  # "too many attempts" page, 429
STAFF_IDLE_TIMEOUT_SECONDS = env.int("STAFF_IDLE_TIMEOUT_SECONDS", default=15 * 60)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="B12 clinic intake")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a TOTP secret or backup code
# Urgent submissions unreviewed for longer than this are highlighted in the queue.
QUEUE_URGENT_HIGHLIGHT_MINUTES = env.int("QUEUE_URGENT_HIGHLIGHT_MINUTES", default=60)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("CLINIC_TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# whitenoise serves static files from the app process: hashed, compressed names in
# production (after `collectstatic`), straight from the source folders in development.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEVELOPMENT
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEVELOPMENT
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "staff_account:login"
CSRF_FAILURE_VIEW = "screening.intake.views.csrf_failure"

# Maintenance: every page but /health/ answers 503 "not available" (screening/web/errors.py).
MAINTENANCE_MODE = env.bool("MAINTENANCE_MODE", default=False)
MAINTENANCE_RETRY_AFTER = env.int("MAINTENANCE_RETRY_AFTER", default=600)  # seconds

# Crispy forms with Bootstrap 5 (served from static/, never a CDN).
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Sessions hold an intake in progress; they end with the browser and after 2 hours idle.
# In the database; a connection lost while saving one is a 500, not a 400
# (screening/web/sessions.py).
SESSION_ENGINE = "screening.web.sessions"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=2 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Security headers. Production defaults are strict; development relaxes only HTTPS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp), enforced in development too so a violation shows
# up while developing. Templates hold no inline script, event handler or style attribute
# (tests/clinic/test_csp.py scans them); Bootstrap's CSS uses data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE: Final = "Lax"  # Final: typed Literal["Lax"], as set_cookie takes
if not DEVELOPMENT:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # a load balancer's probe may come over HTTP
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Email: SMTP in production; in development one file per email in EMAIL_FILE_PATH
# (var/mail/), read in full at /staff/dev/outbox/ (screening/web/dev_mail.py); memory in
# tests.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="screening.web.dev_mail.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="clinic@localhost")

# Celery. Redis in production (REDIS_URL); an embedded filesystem broker in development
# so that `make run` needs no Redis server; eager in tests unless a test opts out.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 60 * 60}
elif DEVELOPMENT:
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)  # kombu needs them to exist
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Broadcast/control messages (celery inspect, the health check): kept in var/ too,
        # not in a "control" folder wherever the process was started.
        "control_folder": str(_broker_dir / "control"),
    }
else:
    raise ImproperlyConfigured("REDIS_URL must be set in production (the Celery broker).")
# Integration tests give each run its own queue on the shared Redis.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers and beat log through LOGGING (JSON)
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TIMEZONE = TIME_ZONE
# Periodic work is declared in one place, screening/schedules.py, and stored by
# django-celery-beat so clinic admins can see and change it in the admin.
CELERY_BEAT_SCHEDULER = "clinic.beat:LockedDatabaseScheduler"  # one beat at a time (clinic/beat.py)
# Beat saves a job's last run as soon as it sends it (django-celery-beat's default is every
# 3 minutes): a standby that takes over reads when each job last ran, and does not send one
# again inside its period.
CELERY_BEAT_SYNC_EVERY = 1
# How long the scheduler lease lasts unrenewed: a standby beat takes over this long after
# the active one died (at once after a clean stop). The holder renews it 6 times a lease.
SCHEDULER_LEASE_SECONDS = env.int("SCHEDULER_LEASE_SECONDS", default=60)
if SCHEDULER_LEASE_SECONDS < 3:
    raise ImproperlyConfigured("SCHEDULER_LEASE_SECONDS must be 3 or more (seconds).")

# Cache: Redis wherever REDIS_URL is set (with its own key prefix), so every web process
# and worker, on every machine, counts rate limits in one place and sees a saved clinic
# setting at once; memory in development without Redis, and in tests (each test clears
# it, which on Redis would empty the broker's database). Nothing in it must outlive a
# restart.
if REDIS_URL and not TESTING:
    CACHES: dict[str, dict[str, object]] = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "clinic",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The reverse proxies in front (addresses or networks, comma-separated): only from these is
# X-Forwarded-For read for the client's address (screening/web/addresses.py, used by the
# audit log, the rate limits and the staff lockout). Empty: REMOTE_ADDR, the header ignored.
TRUSTED_PROXIES = [p.strip() for p in env.list("TRUSTED_PROXIES", default=[]) if p.strip()]
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES holds addresses or networks (10.0.0.5, 10.0.0.0/24, "
            f"2001:db8::/64), separated by commas; {_proxy!r} is neither."
        ) from None

# Public POSTs per client address and window (screening/web/ratelimit.py, docs/security.md):
# "<count>/<window>" with the window in s, m or h, or "off".
INTAKE_RATE_LIMIT = env("INTAKE_RATE_LIMIT", default="60/10m")  # patient pages
FHIR_RATE_LIMIT = env("FHIR_RATE_LIMIT", default="600/10m")  # POST /fhir/QuestionnaireResponse
# Intakes stored per client address (a red flag's early store or a send; each counts once).
INTAKE_SUBMIT_RATE_LIMIT = env("INTAKE_SUBMIT_RATE_LIMIT", default="10/h")

# /health/ (screening/web/health.py): the broker check's time limit, and how old the beat
# heartbeat (written every minute) may be before the check fails.
HEALTH_BROKER_TIMEOUT_SECONDS = env.float("HEALTH_BROKER_TIMEOUT_SECONDS", default=2.0)
HEALTH_BEAT_MAX_AGE_SECONDS = env.int("HEALTH_BEAT_MAX_AGE_SECONDS", default=5 * 60)

# Reminders (the outbox). Times are in the clinic's time zone.
FOLLOW_UP_AFTER_WEEKS = env.int("FOLLOW_UP_AFTER_WEEKS", default=8)
# Per decision outcome, weeks until the follow-up check-in; outcomes not listed use the default.
FOLLOW_UP_WEEKS_BY_OUTCOME = env.dict("FOLLOW_UP_WEEKS_BY_OUTCOME", cast={"value": int}, default={})
BLOOD_TEST_REMINDER_DAYS = env.int("BLOOD_TEST_REMINDER_DAYS", default=14)
UNFINISHED_INTAKE_REMINDER_HOURS = env.int("UNFINISHED_INTAKE_REMINDER_HOURS", default=24)
INTAKE_DRAFT_DAYS = env.int("INTAKE_DRAFT_DAYS", default=14)
# An intake in progress stays in its session at most this long, however active the session.
INTAKE_SESSION_DRAFT_HOURS = env.int("INTAKE_SESSION_DRAFT_HOURS", default=12)
ESCALATION_AFTER_MINUTES = env.int("ESCALATION_AFTER_MINUTES", default=60)
DIGEST_HOUR = env.int("DIGEST_HOUR", default=7)
PATIENT_EMAIL_HOURS = env("PATIENT_EMAIL_HOURS", default="08:00-20:00")
REMINDER_BATCH_SIZE = env.int("REMINDER_BATCH_SIZE", default=200)
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=5)
# Seconds before the 2nd attempt after a transient SMTP error; doubled each time, at most
# 5 minutes (a row waiting for its retry is stamped with when it is due: never lost early).
REMINDER_RETRY_BACKOFF_SECONDS = env.int("REMINDER_RETRY_BACKOFF_SECONDS", default=30)
# A worker's lease on the rows it holds (docs/reminders.md, "Lost messages and killed
# workers"): renewed every third of this while it works; a row whose lease ran out is
# recovered by the next dispatch (every minute), so keep it under a minute.
REMINDER_LEASE_SECONDS = env.int("REMINDER_LEASE_SECONDS", default=30)
# Reminders a worker sends over one SMTP connection (one reminders_send task).
REMINDER_SEND_CHUNK = env.int("REMINDER_SEND_CHUNK", default=20)
REMINDER_LINK_MAX_AGE_DAYS = env.int("REMINDER_LINK_MAX_AGE_DAYS", default=30)
# Links in emails are absolute: https://intake.example.org (no default in production).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000") if DEVELOPMENT else env("SITE_URL")

# Retention (screening/domain/retention.py): a patient record is erased this many days after its
# last submission; 2922 days (8 years) is a common minimum for adult records in England.
# Set it to what the clinic's law and policy require (docs/production.md).
RETENTION_DAYS = env.int("RETENTION_DAYS", default=2922)
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=200)  # records per daily run

# The clinic, as patients see it. These and PATIENT_EMAIL_HOURS, PRIVACY_NOTICE_FILE and
# PRIVACY_NOTICE_VERSION are first values only: once a clinic admin saves the clinic
# settings in the admin, the saved ones count (docs/configuration.md, "Clinic settings").
CLINIC_NAME = env("CLINIC_NAME", default="Your clinic")
CLINIC_PHONE = env("CLINIC_PHONE", default="")
CLINIC_EMERGENCY_NUMBER = env("CLINIC_EMERGENCY_NUMBER", default="999")
CLINIC_URGENT_ADVICE_NUMBER = env("CLINIC_URGENT_ADVICE_NUMBER", default="111")
CLINIC_CRISIS_LINE = env("CLINIC_CRISIS_LINE", default="Samaritans on 116 123")
# Where patients write about their data or the site's accessibility ("" shows the phone only).
CLINIC_CONTACT_EMAIL = env("CLINIC_CONTACT_EMAIL", default="")
# The start and confirmation pages and the confirmation email: "aims to reply within N
# working days" (docs/intake.md, "Trust and information").
CLINIC_REPLY_WORKING_DAYS = env.int("CLINIC_REPLY_WORKING_DAYS", default=2)
# The clinic's own privacy notice: a text file, "{language}" in the path for one per
# language (screening/intake/privacy.py); "" shows the default notice. Its version is
# recorded with each patient's agreement; "" derives one from the text.
PRIVACY_NOTICE_FILE = env("PRIVACY_NOTICE_FILE", default="")
PRIVACY_NOTICE_VERSION = env("PRIVACY_NOTICE_VERSION", default="")
# How long a process may keep the clinic settings cached. A save refreshes the shared
# cache (Redis) at once; this bounds how stale a per-process cache (development) can be.
CLINIC_SETTINGS_CACHE_SECONDS = env.int("CLINIC_SETTINGS_CACHE_SECONDS", default=60)

# Lab limits for screening rule B11 (clinical.md B11: "use the limits the clinic configures").
# Defaults are the WHO haemoglobin cut-offs and MCV above 100 fL; see docs/clinical-rules.md.
# Non-default limits are recorded in each result's rules_version.
SCREENING_LAB_LIMITS = {
    "haemoglobin_lower_g_l_male": env.float("SCREENING_HAEMOGLOBIN_LOWER_G_L_MALE", default=130.0),
    "haemoglobin_lower_g_l_female": env.float(
        "SCREENING_HAEMOGLOBIN_LOWER_G_L_FEMALE", default=120.0
    ),
    "haemoglobin_lower_g_l_pregnant": env.float(
        "SCREENING_HAEMOGLOBIN_LOWER_G_L_PREGNANT", default=110.0
    ),
    "mcv_upper_fl": env.float("SCREENING_MCV_UPPER_FL", default=100.0),
}

# Logs: one JSON object per line on standard error (time, level, logger, message,
# request_id), redacted by screening.web.logging.RedactingFilter; see docs/production.md.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "screening.web.logging.RequestIdFilter"},
        "redact": {"()": "screening.web.logging.RedactingFilter"},
    },
    "formatters": {
        "json": {"()": "screening.web.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own handlers (a plain console in DEBUG, error emails with the request's
        # POST data) are replaced: its records go to the root handler like everyone's.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        # 4xx and 5xx with the path (link tokens redacted); screening.request logs them all.
        "django.request": {"level": "WARNING"},
        # SQL with its parameters (names, answers) is logged at DEBUG: never.
        "django.db.backends": {"level": "INFO"},
        # axes logs every sign-in at INFO, with the username; our audit log records them.
        "axes": {"level": "WARNING"},
    },
}
# Error reports (the debug page in development, any emailed report) never show POST values.
DEFAULT_EXCEPTION_REPORTER_FILTER = "screening.web.logging.NoPostDataExceptionReporterFilter"
