"""Settings for worker processes whose emails a test reads: the test settings, with every email written
as a file to ``ALLIANCE_EMAIL_DIR`` (Django's file-based backend), which the test process can see."""

import os

from config.settings_test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["ALLIANCE_EMAIL_DIR"]
