"""Settings shared by every environment.

Everything that differs between machines comes from the environment (django-environ);
a secret may also come from a file named by ``<NAME>_FILE`` (Docker/Kubernetes secrets).
The defaults run on a developer machine with PostgreSQL on the local socket and Redis
on 127.0.0.1.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()


def env_secret(name, default=None):
    """Read ``name`` from the environment, or from the file named by ``name_FILE``."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return env(name, default=default)


SECRET_KEY = env_secret("DJANGO_SECRET_KEY", "dev-insecure-secret-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

# The kernel (core/) imports no feature app. The tenant and the membership that grants
# access to it are models of the programs app; the kernel names them here, as
# AUTH_USER_MODEL names the user model (and django-tenants its TENANT_MODEL).
TENANT_MODEL = "programs.Program"
MEMBERSHIP_MODEL = "programs.Membership"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_htmx",
    "axes",
    # Second factors: django-otp (TOTP, recovery codes) and django-otp-webauthn (passkeys).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "core",
    "accounts",
    "programs",
    "complaints",
    "audits",
    "enforcement",
    "premiums",
    "buyers",
    "disclosure",
    "exports",
    "registry",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # NUL in any query parameter, form field or JSON string: a 400 naming the field.
    "core.guards.NulByteGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The program scope of the ORM (core/scoping.py): the URL's program, around the view.
    "core.scoping.TenantScopeMiddleware",
    # request.user.is_verified(), then the rule that who must use a second factor has.
    "django_otp.middleware.OTPMiddleware",
    "core.mfa.MfaRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.PublicPrivacyMiddleware",
    # Pages behind a login: Cache-Control "private, no-store" unless the view says else.
    "core.guards.PrivateNoStoreMiddleware",
    # Axes last: it must see the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.oidc.sso_context",
            ],
        },
    },
]


def _database(url):
    config = env.db_url_config(url)
    config["ATOMIC_REQUESTS"] = False
    config["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    # PostgreSQL's JIT compiles plans it expects to be expensive; for this application's
    # queries the compiling costs more than it saves (the public supplier page's query:
    # 400 ms with JIT, 140 ms without; bench/README.md).
    options = config.setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return config


# The application connects as a role that may only read and write rows (DATABASE_URL);
# migrations run as the role that owns the tables (MIGRATION_DATABASE_URL, used by the
# `migrate` command of core/management). Either URL may come from a *_FILE secret.
DATABASE_URL = env_secret("DATABASE_URL", "postgres:///wsr")
MIGRATION_DATABASE_URL = env_secret("MIGRATION_DATABASE_URL", "")
DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHE_URL = env("CACHE_URL", default="redis://127.0.0.1:6379/1")
# Redis is a cache, never the record: with it down or hung (SIGSTOP, a network
# partition), the public complaint line and the public pages must still answer. So every
# socket has a timeout (without one a hung Redis holds a request until the proxy gives up),
# and the backend (core.cache) treats a Redis error as a miss, logs a warning and stops
# asking for a few seconds (issue 13, defects 2 and 3).
CACHE_SOCKET_TIMEOUT = env.float("CACHE_SOCKET_TIMEOUT", default=0.5)
CACHE_OPTIONS = {
    "socket_connect_timeout": CACHE_SOCKET_TIMEOUT,
    "socket_timeout": CACHE_SOCKET_TIMEOUT,
}
CACHES = {
    "default": {
        "BACKEND": "core.cache.ResilientRedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="wsr"),
        "OPTIONS": CACHE_OPTIONS,
    }
}

AUTHENTICATION_BACKENDS = [
    # Axes first so a locked-out username is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-guardian: no anonymous user row; per-object grants only for real members.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# django-axes: lock by username only, so no IP address is ever stored.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# Password reset: links work once (Django's token changes with the password) and for an
# hour; requests are throttled per address and per client (core.password_reset).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
PASSWORD_RESET_LIMIT_PER_ADDRESS = env.int("PASSWORD_RESET_LIMIT_PER_ADDRESS", default=3)
PASSWORD_RESET_LIMIT_PER_CLIENT = env.int("PASSWORD_RESET_LIMIT_PER_CLIENT", default=10)
PASSWORD_RESET_THROTTLE_WINDOW = env.int("PASSWORD_RESET_THROTTLE_WINDOW", default=900)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = 0
AXES_CLIENT_IP_CALLABLE = "core.middleware.no_client_ip"
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("ht", _("Haitian Creole")),
    ("bn", _("Bengali")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Front-end libraries installed from the npm registry (package.json); collectstatic serves them.
if (BASE_DIR / "node_modules").exists():
    STATICFILES_DIRS.append(("vendor", BASE_DIR / "node_modules"))

# Uploaded files (signed agreements, evidence) are private: there is no MEDIA_URL route.
# They are served only through views that check access.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media-not-served/"
# Where they are kept (core/storage.py), always encrypted with the key ring below:
# "filesystem" (MEDIA_ROOT: development, tests, one host) or "s3" (any S3-compatible
# object storage, e.g. MinIO in docker-compose: web and worker hosts share it).
FILE_STORAGE = env("FILE_STORAGE", default="filesystem")


def file_storage(kind, secret=env_secret):
    if kind == "filesystem":
        return {"BACKEND": "core.storage.EncryptedFileSystemStorage"}
    if kind == "s3":
        return {
            "BACKEND": "core.storage.EncryptedS3Storage",
            "OPTIONS": {
                "bucket_name": env("S3_BUCKET", default="wsr-files"),
                "endpoint_url": env("S3_ENDPOINT_URL", default=None),
                "region_name": env("S3_REGION", default="us-east-1"),
                "access_key": secret("S3_ACCESS_KEY_ID", ""),
                "secret_key": secret("S3_SECRET_ACCESS_KEY", ""),
                "location": env("S3_PREFIX", default=""),
                # Names never collide silently (as on the filesystem), objects are never
                # public, and links are never handed out: files go through the views.
                "file_overwrite": False,
                "default_acl": None,
                "querystring_auth": True,
                "connect_timeout": env.float("S3_CONNECT_TIMEOUT", default=3),
                "read_timeout": env.float("S3_READ_TIMEOUT", default=10),
            },
        }
    raise ImproperlyConfigured(f"FILE_STORAGE must be 'filesystem' or 's3', not {kind!r}.")


STORAGES = {
    "default": file_storage(FILE_STORAGE),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)

# Outgoing mail (Django 6.1 MAILERS; the EMAIL_* settings are deprecated there, so the
# environment variables keep their familiar names but feed MAILERS). Development prints
# mail to the console; production defaults to SMTP.
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def mailers(default_backend):
    backend = env("EMAIL_BACKEND", default=default_backend)
    options = {}
    if backend == SMTP_BACKEND:
        options = {
            "host": env("EMAIL_HOST", default="localhost"),
            "port": env.int("EMAIL_PORT", default=25),
            "username": env("EMAIL_HOST_USER", default=""),
            "password": env_secret("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env.bool("EMAIL_USE_TLS", default=False),
            "timeout": env.int("EMAIL_TIMEOUT", default=10),
        }
    return {"default": {"BACKEND": backend, "OPTIONS": options}}


MAILERS = mailers("django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="WSR Platform <no-reply@localhost>")

# The key ring (core/keyring.py) for complainant identity and contact fields and for every
# stored file: MultiFernet, the first key encrypts, every key decrypts, so keys rotate by
# prepending a new one (then rotate_complaint_keys and encrypt_files re-encrypt).
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS",
    default=["hP2kV6bBDo4dTf3mR2PCHqP1GxgqVQpIYRzSxQ3ZKUo="],
)
# Tenant scoping in the ORM (core/scoping.py): a query on a program's table outside a
# program scope raises. Off until the whole suite runs with it (see docs/security.md).
TENANT_SCOPES_ENFORCED = env.bool("TENANT_SCOPES_ENFORCED", default=False)

# Keyed hash for receipt codes (HMAC-SHA256); never the code itself.
RECEIPT_CODE_HMAC_KEY = env_secret("RECEIPT_CODE_HMAC_KEY", "dev-receipt-code-key")

# Worker channels (complaints/channels/, docs/channels.md). Twilio's REST API base (tests
# point it at a fake provider on loopback); how old a signed generic-webhook request may
# be (seconds) before it is refused as a replay; how long a provider call may take.
TWILIO_API_BASE = env("TWILIO_API_BASE", default="https://api.twilio.com").rstrip("/")
CHANNEL_WEBHOOK_WINDOW = env.int("CHANNEL_WEBHOOK_WINDOW", default=300)
CHANNEL_HTTP_TIMEOUT = env.float("CHANNEL_HTTP_TIMEOUT", default=10.0)

# Signed checkpoints of the audit chains (core/checkpoints.py): HMAC key (blank in
# development: derived from SECRET_KEY; production requires its own) and the folder the
# beat job appends them to, beside the database backups.
AUDIT_CHECKPOINT_KEY = env_secret("AUDIT_CHECKPOINT_KEY", "")
AUDIT_CHECKPOINT_DIR = Path(
    env("AUDIT_CHECKPOINT_DIR", default=str(BASE_DIR / "var" / "backups" / "checkpoints"))
)
# The notification outbox (core/notifications.py): a mail claimed by a sender that has
# not marked it sent after this many seconds is sent again by the sweep.
NOTIFICATION_LEASE = env.int("NOTIFICATION_LEASE", default=300)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Named, expiring tokens stored as SHA-256 digests (accounts.tokens).
        "accounts.tokens.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "core.api_filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # The browsable API's forms list at most this many options of a related field (1,000
    # by default: 20,000 facilities made a 1,000-option select); ids are typed instead.
    "HTML_SELECT_CUTOFF": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "receipt_lookup": env("RECEIPT_LOOKUP_RATE", default="10/min"),
        "public_submit": env("PUBLIC_SUBMIT_RATE", default="30/min"),
    },
}
SPECTACULAR_SETTINGS = {
    # Every operation documents its refusals (400/401/403/404/405/409/429), once.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema_hooks.add_error_responses",
    ],
    "TITLE": "WSR Platform API",
    "DESCRIPTION": (
        "Worker-driven Social Responsibility programs: codes, parties, complaints, audits, "
        "enforcement and public disclosure. Program-scoped endpoints live under "
        "/api/v1/programs/{program}/."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files (drf-spectacular-sidecar): no CDN, strict CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Publishing happens after a service commits (the outbox pattern): a broker that is down
# or hung must make the publish fail within seconds, so the request answers ("being
# applied") and the beat sweeper publishes later, instead of blocking in kombu for a
# minute and ending in a 500 (issue 13, defect 2). Timeouts on every broker socket, one
# bounded publish retry; the worker's BRPOP polls every second, inside socket_timeout.
BROKER_SOCKET_TIMEOUT = env.float("BROKER_SOCKET_TIMEOUT", default=2.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
    "socket_connect_timeout": BROKER_SOCKET_TIMEOUT,
}
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_SOCKET_TIMEOUT
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = "default"
# Every task has a time limit (a task may set a lower one): the soft limit raises
# SoftTimeLimitExceeded in the task, the hard one kills the child. Both stay below the
# broker's visibility timeout, so a killed task is not redelivered while still running.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
# A child that grew past this (KiB) is replaced after its current task: one large PDF
# does not keep a worker at gigabytes for the rest of its life.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=600_000)
# PDF rendering is slow: a queue of its own, so it never delays applying consequences.
CELERY_TASK_ROUTES = {
    "audits.tasks.report_render_task": {"queue": "reports"},
    "disclosure.tasks.render_report": {"queue": "reports"},
}
# The beat schedule: each app contributes its jobs in config/celery.py (no database scheduler).
CELERY_BEAT_SCHEDULE = {}

# New complaints are mailed to a program's admins and staff at once after a quiet spell;
# those arriving within this many seconds after that go together in one mail
# (complaints/notices.py). 0: a mail per complaint.
COMPLAINT_NOTICE_WINDOW = env.int("COMPLAINT_NOTICE_WINDOW", default=60)

# The public page's complaint figures (counts, public complaint log) lag by at most this
# many seconds: intake writes on every submission, and figures that moved with each one
# would leave no cached public page standing. The register (buyers, suppliers, standing)
# is always current. 0: figures current on every request.
DISCLOSURE_FIGURES_MAX_AGE = env.int("DISCLOSURE_FIGURES_MAX_AGE", default=300)
# How long a web process may answer the public program page from the version it last
# read (seconds): the page's register shows a change at most this late.
DISCLOSURE_VERSION_MAX_AGE = env.float("DISCLOSURE_VERSION_MAX_AGE", default=1.0)

# Content Security Policy (Django 6 built in): no inline script without a nonce, nothing
# from third parties. Map tiles are the one configurable exception (public map).
MAP_TILE_URL = env("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", *env.list("CSP_IMG_EXTRA", default=[])],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "django.views.csrf.csrf_failure"

# Public paths: no IP stored or logged, no tracking cookies, Cache-Control: no-store.
PUBLIC_PATH_PREFIXES = ["/public/", "/api/v1/public/"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_ip": {"()": "core.logging.StripClientAddressFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["no_ip"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# Axes warns that locking by username alone lets an attacker rotate clients; we accept
# that on purpose: storing the address of someone who files a complaint is the worse risk.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# --- disclosure ---
# The public map loads tiles from MAP_TILE_URL's origin: the one third-party image
# source the CSP allows ("{s}." subdomain templates become a "*." wildcard).
_tile = MAP_TILE_URL.split("/")
if len(_tile) > 2 and _tile[0] in ("https:", "http:"):
    _tile_origin = f"{_tile[0]}//{_tile[2].replace('{s}.', '*.')}"
    if _tile_origin not in SECURE_CSP["img-src"]:
        SECURE_CSP["img-src"].append(_tile_origin)
MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION", default="© OpenStreetMap contributors")

# --- programs ---
# The platform's public base URL, for links in e-mails sent outside a request (member
# invitations). No trailing slash.
SITE_URL = env("SITE_URL", default="http://localhost:8000").rstrip("/")
# Stable OpenAPI enum names for the programs choice sets (instead of hash suffixes when
# another app has a field of the same name).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "CodeVersionStatusEnum": "programs.models.CodeVersionStatus",
        "AgreementStatusEnum": "programs.models.AgreementStatus",
        "FacilityStatusEnum": "programs.models.FacilityStatus",
        "ProvisionSeverityEnum": "programs.models.Severity",
        "ProvisionCategoryEnum": "programs.models.Category",
        "MemberRoleEnum": "core.roles.Role",
    }
)

# --- infra ---
# Stable OpenAPI enum names for the enforcement and audits choice sets that share field
# names ("status", "kind", "action") with other apps; without them drf-spectacular makes
# up hash-suffixed names and `check --deploy` warns.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "SupplierActionEnum": "enforcement.models.SupplierAction",
        "BuyerObligationKindEnum": "enforcement.models.BuyerObligationKind",
        "SupplierStandingEnum": "enforcement.models.Standing",
        "LedgerImportKindEnum": "premiums.models.ImportKind",
        "AuditStatusEnum": "audits.models.AuditStatus",
        "CAPItemStatusEnum": "audits.models.CAPItemStatus",
        # registry/: an import batch's status (a "status" like the others above).
        "ImportBatchStatusEnum": "registry.models.ImportStatus",
    }
)

# --- accounts: second factors ---
# Passkeys (WebAuthn) are bound to the site's domain: WEBAUTHN_RP_ID is that domain and
# WEBAUTHN_ORIGINS the origins pages are served from (defaults: SITE_URL's).
_site = SITE_URL.split("://", 1)[-1].split("/", 1)[0]
OTP_WEBAUTHN_RP_ID = env("WEBAUTHN_RP_ID", default=_site.split(":", 1)[0])
OTP_WEBAUTHN_RP_NAME = "WSR Platform"
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list("WEBAUTHN_ORIGINS", default=[SITE_URL])
# A passkey is a second factor after the password, never a way in on its own.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# An authenticator's code is accepted one step either side (clock drift of phones).
OTP_TOTP_TOLERANCE = 1
OTP_TOTP_ISSUER = "WSR Platform"

# --- accounts: optional single sign-on (OpenID Connect, accounts/oidc.py) ---
# Off by default. Only existing, active accounts sign in (matched by the provider's
# verified e-mail); second factors are still required where core.mfa says so.
OIDC_ENABLED = env.bool("OIDC_ENABLED", default=False)
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", default="your organization")
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env_secret("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = "openid email"
OIDC_CREATE_USER = False
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "accounts.oidc.OIDCBackend"]
