"""An email backend for tests and the benchmark that run real worker processes.

Each message sent is appended, by its reminder id, to a Redis list that outlives the worker, so a
test can count what really left, including from a worker it then kills. With
``ALLIANCE_MAILBOX_STALL_AFTER=N`` the process hangs in the middle of sending its (N+1)th message,
after announcing which one, so a test can ``kill -9`` it mid-send at a known point.
"""

import os
import time

import redis
from django.core.mail.backends.base import BaseEmailBackend

_sent_here = 0


def mailbox_client() -> redis.Redis:
    return redis.Redis.from_url(os.environ.get("ALLIANCE_MAILBOX_REDIS") or os.environ["REDIS_URL"])


class RedisMailbox(BaseEmailBackend):
    def send_messages(self, email_messages):
        global _sent_here
        client = mailbox_client()
        key = os.environ["ALLIANCE_MAILBOX"]
        stall_after = int(os.environ.get("ALLIANCE_MAILBOX_STALL_AFTER", "-1"))
        for message in email_messages:
            reminder = message.extra_headers.get("X-Alliance-Reminder", "?")
            if _sent_here == stall_after:
                client.set(f"{key}:stalled", reminder)
                time.sleep(600)
            client.rpush(key, reminder)
            _sent_here += 1
        return len(email_messages)
