from celery import shared_task

from patients import services


@shared_task
def login_sessions_clear_expired() -> int:
    return services.login_sessions_clear_expired()


@shared_task
def form_submissions_clear_old() -> int:
    return services.form_submissions_clear_old()
