"""Django settings of the throwaway Weblate that `make test-weblate` runs.

Weblate's own example settings, with what a single-machine test needs:
PostgreSQL from Debian (the database named by EDITION_WEBLATE_DB, so each
test gets a copy of the migrated template), Celery tasks run eagerly in the
request (no Redis, no worker), a local-memory cache, everything under
EDITION_WEBLATE_DATA, and git over plain HTTP to 127.0.0.1 allowed (the
test serves the content repository there).  Never use it for a real server.
"""

import os

from weblate.settings_example import *  # noqa: F403

DATA_DIR = os.environ["EDITION_WEBLATE_DATA"]
CACHE_DIR = os.path.join(DATA_DIR, "cache")
MEDIA_ROOT = os.path.join(DATA_DIR, "media")
STATIC_ROOT = os.path.join(CACHE_DIR, "static")

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("EDITION_WEBLATE_DB", "edition_weblate_template"),
        "USER": "edition_weblate",
        "PASSWORD": "edition_weblate",
        "HOST": "127.0.0.1",
        "PORT": os.environ.get("EDITION_WEBLATE_PGPORT", "5432"),
        "CONN_MAX_AGE": 0,
    }
}

SECRET_KEY = "edition-weblate-test-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
SITE_DOMAIN = "127.0.0.1:" + os.environ.get("EDITION_WEBLATE_PORT", "8000")
ENABLE_HTTPS = False
# Weblate's checks want a relying party for WebAuthn; nobody logs in here.
OTP_WEBAUTHN_RP_NAME = "edition test"
OTP_WEBAUTHN_RP_ID = "localhost"
OTP_WEBAUTHN_ALLOWED_ORIGINS = ["https://localhost"]

CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "avatar": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# The content repository is served over smart HTTP on 127.0.0.1.
VCS_ALLOW_SCHEMES = {"http", "https"}
VCS_RESTRICT_PRIVATE = False
VCS_API_DELAY = 0

# No outgoing requests: no avatars, no update checks, no mail.
ENABLE_AVATARS = False
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
REGISTRATION_OPEN = False

# Logs on the console (the test keeps them in a file), not in syslog.
for _logger in LOGGING["loggers"].values():  # noqa: F405
    _logger["handlers"] = ["console"]
LOGGING["handlers"]["console"]["level"] = "INFO"  # noqa: F405

# Optional VCS backends and machine translation modules this test never uses.
SILENCED_SYSTEM_CHECKS = [
    *SILENCED_SYSTEM_CHECKS,  # noqa: F405
    "weblate.W033.Gerrit",
    "weblate.W033.Mercurial",
    "weblate.W033.Subversion",
    "weblate.W039.GoogleV3Translation",
]
