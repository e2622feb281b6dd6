"""Settings for the test suite: the real settings module, with test-only defaults.

Only defaults are set here; DATABASE_URL and CELERY_BROKER_URL still come from the environment, so
the same suite runs on a PostgreSQL server + Redis (CI) or on the embedded PostgreSQL + filesystem
broker (bin/test picks, and says which).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-that-is-long-enough-for-django-checks-0123456789")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")

from config.settings import *  # noqa: F403

# Hashing with Argon2 for every factory-made user would dominate the suite's run time; one test
# checks that the real settings put Argon2 first.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The manifest needs collectstatic; tests render templates without it.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Each test process keeps its own cache, so no test sees another's (or a stale run's) entries.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
