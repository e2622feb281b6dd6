from celery import shared_task

from patients import services


@shared_task
def login_sessions_clear_expired() -> int:
    return services.login_sessions_clear_expired()


@shared_task
def form_submissions_clear_old() -> int:
    return services.form_submissions_clear_old()


@shared_task
def password_reset_send(email: str) -> int:
    """Looked up and sent by the worker, so the page answers the same whether or not the account exists."""
    return services.password_reset_email_send(email=email)


# A reset's email is sent by ``factors_reset_notify``, which lives beside the service that queues it (a
# service never imports a task); importing it here registers it with the worker.
factors_reset_notify = services.factors_reset_notify
