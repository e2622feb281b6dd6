from celery import shared_task

from patients import services


@shared_task
def login_sessions_clear_expired() -> int:
    return services.login_sessions_clear_expired()
