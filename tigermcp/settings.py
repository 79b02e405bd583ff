"""Settings, read from the environment (django-environ).

Two shapes:
- embedded default (TIGERMCP_ENV unset or "embedded"): no configuration needed. SQLite in the data
  folder, a Celery worker and beat on a folder-based broker, a generated encryption key, the
  built-in Tiger gateway simulator. Setting DATABASE_URL / REDIS_URL switches those parts to the
  real services (the test suite does this on machines that have them).
- production (TIGERMCP_ENV=production): every secret and service must be given; nothing defaults.
"""

import sys
from pathlib import Path

import environ

from core.config import parse_audit_hmac_key, parse_key_list, parse_strict_bool, require_secret

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A checkout's .env configures that checkout's deployment. The test suite (scripts/test) sets
# TIGERMCP_READ_DOT_ENV=false so that what it runs against never depends on one.
if parse_strict_bool("TIGERMCP_READ_DOT_ENV", env.str("TIGERMCP_READ_DOT_ENV", default="true")):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

TIGERMCP_ENV = env.str("TIGERMCP_ENV", default="embedded")
if TIGERMCP_ENV not in ("embedded", "production"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"TIGERMCP_ENV must be 'embedded' or 'production' (got {TIGERMCP_ENV!r})."
    )
PRODUCTION = TIGERMCP_ENV == "production"
# Secrets read from the environment where they are used (core.config.secret_read), not settings.
SECRETS_READ_WHERE_USED = ("FIELD_ENCRYPTION_KEYS", "CREDENTIAL_FINGERPRINT_KEY")

DATA_DIR = Path(env.str("TIGERMCP_DATA_DIR", default=str(BASE_DIR / "data"))).resolve()

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
    DEBUG = False
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    REDIS_URL = env.str("REDIS_URL")
    # Checked at boot, read where used (accounts.encryption, core.fingerprints), never kept here.
    for _secret in SECRETS_READ_WHERE_USED:
        require_secret(_secret)
    parse_key_list("FIELD_ENCRYPTION_KEYS", env.str("FIELD_ENCRYPTION_KEYS"))
    # Checked here so that a missing key stops the process at boot, but not kept: audit.keys reads it
    # where it is used, so no settings dump (diffsettings, a debug page) can show it.
    parse_audit_hmac_key(env.str("AUDIT_HMAC_KEY"))
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # Not a secret worth protecting: the embedded default only listens on 127.0.0.1.
    SECRET_KEY = env.str("SECRET_KEY", default="embedded-default-not-for-production-" + "x" * 32)
    # Off unless asked for: a debug page shows tracebacks and local values to whoever gets an error.
    DEBUG = parse_strict_bool("TIGERMCP_DEBUG", env.str("TIGERMCP_DEBUG", default="false"))
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
    DATABASES = {
        "default": env.db_url(
            "DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'tigermcp.sqlite3'}"
        )
    }
    REDIS_URL = env.str("REDIS_URL", default="")
    # Unset: generated once into the data folder when first used.
    if env.str("FIELD_ENCRYPTION_KEYS", default=""):
        parse_key_list("FIELD_ENCRYPTION_KEYS", env.str("FIELD_ENCRYPTION_KEYS"))
    if env.str("AUDIT_HMAC_KEY", default=""):
        parse_audit_hmac_key(env.str("AUDIT_HMAC_KEY"))  # checked, not kept (see above)

DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
# PostgreSQL: the role the app runs as. migrate (run as the tables' owner) creates it if it can and
# grants it what the app needs: no UPDATE, DELETE or TRUNCATE on the audit tables (audit.dbroles).
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE", default="tigermcp_app")

# After every commit that wrote audit events, the chain's tip (sequence, MAC) is appended here, outside
# the database: manage.py verify_audit reports a chain that is behind it (a deleted tail) as broken.
# Every process that writes (web, workers, run_mcp) must append to the same file.
AUDIT_CHECKPOINT_PATH = Path(env.str("AUDIT_CHECKPOINT_PATH", default="") or DATA_DIR / "audit_checkpoint.log")

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several threads (MCP tools, aggregation) write: wait for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    # Take the write lock at BEGIN: a deferred transaction that later upgrades fails at once with
    # "database is locked" instead of waiting.
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")

# Live trading needs this AND the account's own live flag (accounts.TigerAccount).
TIGER_LIVE_TRADING_ENABLED = parse_strict_bool(
    "TIGER_LIVE_TRADING_ENABLED", env.str("TIGER_LIVE_TRADING_ENABLED", default="false")
)
# A read-only deployment: write tools are not even listed, write services refuse.
TIGERMCP_READ_ONLY = parse_strict_bool(
    "TIGERMCP_READ_ONLY", env.str("TIGERMCP_READ_ONLY", default="false")
)
# The MCP client run_mcp acts as over stdio (blank: the local demo client in the embedded default).
TIGERMCP_MCP_CLIENT = env.str("TIGERMCP_MCP_CLIENT", default="")
# Worker threads (each with its database connection) for MCP tool calls, per process.
TIGERMCP_MCP_THREADS = env.int("TIGERMCP_MCP_THREADS", default=16)
# Browser origins allowed to call /mcp besides loopback, e.g. https://tools.example.com
TIGERMCP_MCP_ALLOWED_ORIGINS = env.list("TIGERMCP_MCP_ALLOWED_ORIGINS", default=[])
# The MCP toolsets a connection gets unless it asks for others (mcp_bridge.toolsets): comma-separated,
# e.g. "core,options"; "all" for every tool. Checked when the MCP server starts: a typo fails loudly.
TIGERMCP_TOOLSETS = env.str("TIGERMCP_TOOLSETS", default="core")

# daphne is not an app here: scripts/run starts it as `python -m daphne`, and as an app it would
# make every process (run_mcp too) import Twisted at start-up.
INSTALLED_APPS = [
    # Before django.contrib.auth: its audited createsuperuser and changepassword replace Django's.
    "accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "channels",
    "django_celery_beat",
    "axes",
    "audit",
    "tigersim",
    "trading",
    "marketdata",
    "mcp_bridge",
    # Last: start-up code (the embedded simulator) that ties the apps above together.
    "tigermcp.apps.TigerMcpConfig",
]
# `manage.py run_mcp` serves MCP only (stdio, or its own HTTP app): the models and services, not the
# admin pages, the REST API, browser sessions or the beat schedule's models. Leaving those apps out
# takes their set-up (the admin's discovery of every admin module, the beat models) off the time an
# assistant waits for the first tools/list. Their tables and rows are untouched; nothing run_mcp runs
# reads them (the MCP tests run it as a process: mcp_bridge/tests/test_transport.py and the tool tests).
MCP_ONLY = sys.argv[1:2] == ["run_mcp"]
WEB_ONLY_APPS = ("django.contrib.admin", "django.contrib.messages", "django.contrib.staticfiles",
                 "django.contrib.sessions", "rest_framework", "drf_spectacular", "django_celery_beat")
if MCP_ONLY:
    INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in WEB_ONLY_APPS]

MIDDLEWARE = [
    # Outermost: counts and times every request for Prometheus, refusals by later middleware included.
    "core.request_metrics.RequestMetricsMiddleware",
    # First: every later step (and every response) sees the checked request id and stored headers.
    "core.request_headers.RequestHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's static files from the app itself (daphne serves no files of its own).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # An ApplicationError escaping a page (the wrong FIELD_ENCRYPTION_KEYS, say) is shown as its message.
    "core.error_pages.ApplicationErrorMiddleware",
    # Last, as django-axes requires: answers a locked-out login with 429.
    "axes.middleware.AxesMiddleware",
]

# Admin logins: locked out after repeated failures (django-axes), per username and address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

ROOT_URLCONF = "tigermcp.urls"
if MCP_ONLY:
    # run_mcp's HTTP app answers GET /metrics through Django (mcp_bridge.asgi.with_metrics): one URL,
    # without the admin's pages, browser sessions, logins or static files, whose apps it leaves out.
    ROOT_URLCONF = "tigermcp.urls_mcp"
    MIDDLEWARE = [m for m in MIDDLEWARE if m not in (
        "whitenoise.middleware.WhiteNoiseMiddleware", "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware", "django.contrib.messages.middleware.MessageMiddleware",
        "axes.middleware.AxesMiddleware")]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = None
ASGI_APPLICATION = "tigermcp.asgi.application"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Chart.js as npm installed it (scripts/bootstrap.sh, the Dockerfile): served by the app, with its licence.
STATICFILES_DIRS = [("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js")]
# The embedded default serves straight from the apps; production from collectstatic's output.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The module holding the Celery app (core.tasks.celery_app loads it where a process started without it).
TIGERMCP_CELERY_APP = "tigermcp.celery"
# Celery: a real worker and beat (./scripts/run starts both beside the web server). True runs every
# task inline in the caller instead, as the test suite does (scripts/test sets it).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Cache, channel layer and Celery broker: Redis when REDIS_URL is set. Without it the broker is a
# folder of message files (kombu's filesystem transport: no server), and the cache, which carries the
# worker's heartbeat to the web's health report, is a folder too once tasks run in another process.
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # A websocket waits for its next message in a blocking read of up to 5 s (BZPOPMIN);
            # redis-py's default 5 s socket timeout cut that read and closed every idle feed.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 10}]},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
else:
    if CELERY_TASK_ALWAYS_EAGER:
        CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    else:
        # Room for the market-data entries, so that culling (a third of the files once full) seldom
        # takes the heartbeat with it.
        CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                              "LOCATION": str(DATA_DIR / "cache"), "OPTIONS": {"MAX_ENTRIES": 10_000}}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "filesystem://"
    _queue, _control = DATA_DIR / "celery" / "queue", DATA_DIR / "celery" / "control"
    _queue.mkdir(parents=True, exist_ok=True)
    _control.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(_queue), "data_folder_out": str(_queue),
                                       "control_folder": str(_control), "store_processed": False}
    # Remote control (celery inspect, broadcast through the folder) off: nothing here uses it.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat writes each periodic task's "last run" after every send, not every 3 minutes: the admin's
# Periodic tasks page shows it at once. The schedules send a few tasks a minute.
CELERY_BEAT_SYNC_EVERY = 1
# A worker keeps the redacting log handler instead of installing its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.authentication.IsActor"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DEFAULT_THROTTLE_CLASSES": ["core.api_throttling.TokenRateThrottle"],
}
# Requests per API token (core.api_throttling); empty turns throttling off.
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="1200/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "TigerMCP API", "VERSION": "1.0.0",
    # The schema endpoint documents the API, not itself.
    "SERVE_INCLUDE_SCHEMA": False,
    # Every operation documents the one error shape for its refusals (core.api_schema).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.api_schema.error_responses"],
}

# The Tiger gateway simulator (tigersim): the embedded default runs one in-process on this port and
# binds its demo paper accounts to it.
TIGERSIM_EMBEDDED = env.bool("TIGERSIM_EMBEDDED", default=not PRODUCTION)
TIGERSIM_PORT = env.int("TIGERSIM_PORT", default=9871)
TIGERSIM_STATE_DIR = Path(env.str("TIGERSIM_STATE_DIR", default=str(DATA_DIR / "tigersim")))
# Continuous trading in the embedded simulator: orders fill at any hour (a demo on a weekend). Off (as
# the test suite runs it), the markets keep their real calendars.
TIGERSIM_ALWAYS_OPEN = parse_strict_bool("TIGERSIM_ALWAYS_OPEN", env.str("TIGERSIM_ALWAYS_OPEN", default="true"))

# The SDK's HTTP timeout, and how often it retries a failed read (it never retries orders).
TIGER_HTTP_TIMEOUT = env.int("TIGER_HTTP_TIMEOUT", default=15)
TIGER_READ_RETRIES = env.int("TIGER_READ_RETRIES", default=2)
TIGER_HTTP_POOL_SIZE = env.int("TIGER_HTTP_POOL_SIZE", default=32)

# In front of Tiger (broker.limits): callers wait this long for a rate-limit slot before getting
# "rate limited, retry in N s"; an account's circuit opens after this many consecutive failures and
# stays open this long; portfolio aggregation fans out over at most this many threads.
MARKETDATA_RATE_LIMIT_MAX_WAIT = env.float("MARKETDATA_RATE_LIMIT_MAX_WAIT", default=2.0)
MARKETDATA_CIRCUIT_FAILURES = env.int("MARKETDATA_CIRCUIT_FAILURES", default=5)
MARKETDATA_CIRCUIT_COOLDOWN = env.float("MARKETDATA_CIRCUIT_COOLDOWN", default=30.0)
MARKETDATA_AGGREGATE_WORKERS = env.int("MARKETDATA_AGGREGATE_WORKERS", default=25)
# One account's balances and positions (broker.account_reads) are shared by every caller for this
# many seconds (0: each read asks Tiger); an order's change of state ends them at once.
TIGER_ACCOUNT_READ_TTL = env.int("TIGER_ACCOUNT_READ_TTL", default=5)
# Portfolio snapshots (marketdata.services.portfolio): a read serves an account's snapshot up to this
# old; the beat task (every PORTFOLIO_REFRESH_INTERVAL_SECONDS) re-reads accounts older than
# PORTFOLIO_REFRESH_AFTER_SECONDS, using at most this share of each developer id's rate budget.
PORTFOLIO_MAX_AGE_SECONDS = env.float("PORTFOLIO_MAX_AGE_SECONDS", default=60.0)
PORTFOLIO_REFRESH_INTERVAL_SECONDS = env.float("PORTFOLIO_REFRESH_INTERVAL_SECONDS", default=5.0)
PORTFOLIO_REFRESH_AFTER_SECONDS = env.float("PORTFOLIO_REFRESH_AFTER_SECONDS", default=40.0)
PORTFOLIO_REFRESH_BUDGET_SHARE = env.float("PORTFOLIO_REFRESH_BUDGET_SHARE", default=0.95)

# Error reports (the debug page, error mails) never show a secret or ciphertext, debug mode included.
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.error_pages.RedactingExceptionReporterFilter"

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# plain: one human-readable line per record; json: one JSON object per line (core.json_logs), for a
# log pipeline. Both carry the request id of the request in progress (core.request_context).
LOG_FORMAT = env.str("TIGERMCP_LOG_FORMAT", default="plain").strip().lower()
if LOG_FORMAT not in ("plain", "json"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"TIGERMCP_LOG_FORMAT must be 'plain' or 'json' (got {LOG_FORMAT!r}).")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.request_context.RequestIdFilter"},
                "redact": {"()": "core.redaction.RedactingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
                   "json": {"()": "core.json_logs.RedactedJsonFormatter"}},
    "handlers": {
        # stderr, always: over stdio MCP, stdout carries protocol bytes only.
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console handler (on in debug mode) has no redaction: everything goes to the root's.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # The SDK logs whole signed requests at DEBUG; never below INFO, and redacted anyway.
        "tiger_openapi": {"level": "WARNING"},
    },
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
    SECURE_REDIRECT_EXEMPT = [r"^health$"]
