"""Settings for worker processes started by tests and the benchmark: the test settings, plus a
mailbox every process can see."""

from config.settings_test import *  # noqa: F403

EMAIL_BACKEND = "tests.care_sessions.mailbox.RedisMailbox"
