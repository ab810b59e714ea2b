"""Settings for moviesite, read from the environment (django-environ).

With nothing set, everything runs on one machine: SQLite under ``var/``, a filesystem
Celery broker under ``var/celery/``, Spark in ``local[*]`` mode. See README.md for the table.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; real environment variables win

VAR_DIR = Path(env.str("MOVIESITE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "axes",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "moviesite.api",
    "catalog",
    "recommender",
    "worker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]

ROOT_URLCONF = "moviesite.urls"

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
                "catalog.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "moviesite.wsgi.application"
ASGI_APPLICATION = "moviesite.asgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker share one file: wait for locks, take the write lock up front.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so that a Celery worker process in the tests sees the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))

AUTH_USER_MODEL = "catalog.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Hashed, compressed files (after `collectstatic`) when DEBUG is off; the apps' own files otherwise.
_STATIC_BACKEND = (
    "django.contrib.staticfiles.storage.StaticFilesStorage"
    if DEBUG
    else "whitenoise.storage.CompressedManifestStaticFilesStorage"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": _STATIC_BACKEND},
}

# Production hardening: on whenever DEBUG is off (each can be overridden).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- REST API (/api/v1/) ------------------------------------------------------------------------
# Tokens: DRF's own (rest_framework.authtoken), listed first so that a request without credentials gets 401 with
# "WWW-Authenticate: Token". Session auth (CSRF enforced by DRF) serves the browser. No Basic auth: programs
# exchange the password for a token once, at /api/v1/auth/token/.
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "moviesite.api.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],  # never an HTML page from /api/
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "moviesite.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": ["moviesite.api.throttling.AnonThrottle", "moviesite.api.throttling.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="120/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
        "auth_token": env.str("API_THROTTLE_TOKEN", default="10/min"),  # password guesses per client address
    },
    "NUM_PROXIES": env.int("NUM_PROXIES", default=None),  # proxies in front: the client address is X-Forwarded-For's
    "EXCEPTION_HANDLER": "moviesite.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "moviesite.api.schema.AutoSchema",
}
CSRF_FAILURE_VIEW = "moviesite.api.errors.csrf_failure"  # JSON under /api/
SPECTACULAR_SETTINGS = {
    "TITLE": "moviesite API",
    "DESCRIPTION": "Movies, ratings, personal recommendations and retraining. Errors always have the body "
    '`{"error": {"code": ..., "message": ..., "fields": {...}}}`.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"TrainingRunStatus": "recommender.models.TrainingRun.Status"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "moviesite.api.schema.add_links",
    ],
    # Swagger UI's files come from the drf-spectacular-sidecar package, served by the site: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# The cache: per-user recommendation lists (recommender.cache) and API throttling counters. Local memory by
# default (CACHE_URL=locmemcache://), which is per process: with several web processes use Redis (e.g.
# CACHE_URL=redis://127.0.0.1:6379/1, Django's RedisCache) so that invalidating a list reaches every
# process and throttles count once.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 50_000)  # a list per user (ML-1M: 6,040)
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "moviesite.redis_cache.RedisCache"  # one client per server: see that module
RECOMMENDATIONS_CACHE_SECONDS = env.int("RECOMMENDATIONS_CACHE_SECONDS", default=300)
MOVIE_LIST_CACHE_SECONDS = env.int("MOVIE_LIST_CACHE_SECONDS", default=30)  # GET /api/v1/movies/ pages (0: none)
API_TOKEN_CACHE_SECONDS = env.int("API_TOKEN_CACHE_SECONDS", default=60)  # see moviesite/api/authentication.py
HEALTH_PING_TIMEOUT = env.float("HEALTH_PING_TIMEOUT", default=1.0)  # seconds /api/v1/health/ waits for a worker

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"py4j": {"level": "WARNING"}},  # Spark's bridge chats at INFO on every connection
}

# --- MovieLens data ---------------------------------------------------------------------------
# Where GroupLens publishes the releases (<name>.zip and <name>.zip.md5); MOVIELENS_URL and its checksums: ML-1M.
MOVIELENS_BASE_URL = env.str("MOVIELENS_BASE_URL", default="https://files.grouplens.org/datasets/movielens/")
MOVIELENS_URL = env.str("MOVIELENS_URL", default="https://files.grouplens.org/datasets/movielens/ml-1m.zip")
MOVIELENS_MD5 = env.str("MOVIELENS_MD5", default="c4d9eecfca2ab87c1945afe126590906")  # as GroupLens publishes it
MOVIELENS_SHA256 = env.str(
    "MOVIELENS_SHA256", default="a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20"
)
MOVIELENS_DATA_DIR = Path(env.str("MOVIELENS_DATA_DIR", default=str(VAR_DIR / "data")))

# --- Learning pipeline ------------------------------------------------------------------------
ARTIFACTS_DIR = Path(env.str("ARTIFACTS_DIR", default=str(VAR_DIR / "runs")))
SPARK_MASTER = env.str("SPARK_MASTER", default="local[*]")
SPARK_DRIVER_MEMORY = env.str("SPARK_DRIVER_MEMORY", default="2g")
SPARK_SHUFFLE_PARTITIONS = env.int("SPARK_SHUFFLE_PARTITIONS", default=8)
# Where the run data Spark reads and writes lives (snapshot, samples, sequences): a URI such as s3a://bucket/runs
# or hdfs://namenode/runs that every executor can reach. Empty: ARTIFACTS_DIR as a file:// URI (one machine).
# Model files stay in ARTIFACTS_DIR.
ARTIFACTS_URI = env.str("ARTIFACTS_URI", default="")
# A cluster master (spark://host:7077): the driver address executors call back to, and the app's share of the
# cluster (empty/0: Spark's defaults, i.e. every free core of a standalone cluster).
SPARK_DRIVER_HOST = env.str("SPARK_DRIVER_HOST", default="127.0.0.1")
SPARK_CORES_MAX = env.int("SPARK_CORES_MAX", default=2)
SPARK_EXECUTOR_CORES = env.int("SPARK_EXECUTOR_CORES", default=0)
SPARK_EXECUTOR_MEMORY = env.str("SPARK_EXECUTOR_MEMORY", default="1g")
# One thread: measured here, two threads collapse 10-50x whenever another process wants a core, one loses
# only about 25% on an idle machine (bench/bench_training.py). 0 lets torch pick (one per core).
TORCH_THREADS = env.int("TORCH_THREADS", default=1)
RECOMMENDER_KEEP_VERSIONS = env.int("RECOMMENDER_KEEP_VERSIONS", default=3)
# The quality gate: HR@10 must beat popularity's by the margin and stay within the tolerance of the served one.
RECOMMENDER_GATE_MARGIN = env.float("RECOMMENDER_GATE_MARGIN", default=0.01)
RECOMMENDER_GATE_TOLERANCE = env.float("RECOMMENDER_GATE_TOLERANCE", default=0.02)
# Movies stored per user: enough for a read to drop what was rated since and still show ten.
RECOMMENDER_LIST_LENGTH = env.int("RECOMMENDER_LIST_LENGTH", default=100)
# After a rating change the user's list is recomputed once the ratings have been quiet for REFRESH_DEBOUNCE
# seconds, or at the latest REFRESH_MAX_WAIT seconds after the first change of a burst.
REFRESH_DEBOUNCE = env.float("REFRESH_DEBOUNCE", default=1.0)
REFRESH_MAX_WAIT = env.float("REFRESH_MAX_WAIT", default=5.0)

# --- Celery -----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_DATA_DIR = VAR_DIR / "celery"
TRAINING_HARD_TIME_LIMIT = env.int("TRAINING_HARD_TIME_LIMIT", default=2 * 60 * 60)  # seconds per stage
# A run in progress whose worker has not reported for this long is marked failed by the next trigger.
TRAINING_STALE_AFTER = env.int("TRAINING_STALE_AFTER", default=15 * 60)
# A queued run whose first stage no worker picked up within this many seconds is failed (no training worker).
TRAINING_QUEUED_TIMEOUT = env.int("TRAINING_QUEUED_TIMEOUT", default=10 * 60)
# A stage delivered more often than this (its worker died each time) fails the run instead of looping.
TRAINING_MAX_DELIVERIES = env.int("TRAINING_MAX_DELIVERIES", default=3)
# Seconds between heartbeats of a working stage (a thread beats while Spark or PyTorch runs).
TRAINING_HEARTBEAT_SECONDS = env.float("TRAINING_HEARTBEAT_SECONDS", default=20.0)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Redis redelivers an unacknowledged task after this; it must exceed the longest task.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": TRAINING_HARD_TIME_LIMIT + 30 * 60}
else:
    # No server to install: kombu's filesystem transport still runs a real, separate worker process.
    for sub in ("queue", "processed", "results", "control"):
        (CELERY_DATA_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_DATA_DIR / 'results'}"
RETRAIN_SCHEDULE = env.str("RETRAIN_SCHEDULE", default="")  # crontab for Celery beat, e.g. "0 3 * * *"; off

# --- The site: accounts, e-mail, failed-login limits ------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "recommender:for_you"
LOGOUT_REDIRECT_URL = "recommender:for_you"
# Password reset mails: printed on the console unless an SMTP server is configured.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="moviesite <noreply@localhost>")
# django-axes (well kept, Jazzband): counts failed logins per (user name, address) pair in the database and
# locks that pair out for a while; the lockout page says when to try again.
AUTHENTICATION_BACKENDS = [
    "catalog.auth_backends.LoginRateLimitBackend",  # django-axes, see catalog/auth_backends.py
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_VERBOSE = False
