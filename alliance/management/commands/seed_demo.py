from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from alliance.demo.seed import FIRST_CLINIC, PATIENTS_PER_CLINICIAN, SECOND_CLINIC, seed_demo
from patients.services import totp_secret_check

DEFAULT_PASSWORD = "alliance-demo-2026"  # noqa: S105 - demo accounts only, printed on purpose


class Command(BaseCommand):
    help = "Create (or top up) two demo clinics with named accounts and weeks of history. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password for every demo account.")
        parser.add_argument("--patients", type=int, default=6, help="Patients in the first clinic (at least 2).")
        parser.add_argument("--weeks", type=int, default=8, help="Weeks of past appointments to create.")
        parser.add_argument(
            "--totp-secret",
            default=None,
            metavar="BASE32",
            help="One authenticator-app secret for every demo clinician and admin (default: each keeps "
            "their own, or gets a random one).",
        )

    def handle(self, *args, password, patients, weeks, totp_secret, **options):
        if patients < 2:
            raise CommandError("--patients must be at least 2 (patient1 and patient2 have fixed care teams).")
        if not 1 <= weeks <= 520:
            raise CommandError("--weeks must be between 1 and 520.")
        try:
            validate_password(password)
        except ValidationError as error:
            raise CommandError("--password: " + " ".join(error.messages)) from None
        if totp_secret is not None:
            try:
                totp_secret_check(secret=totp_secret)
            except ValidationError as error:
                raise CommandError("--totp-secret: " + " ".join(error.messages)) from None
        ctx = seed_demo(
            password=password, patients=patients, weeks=weeks, totp_secret=totp_secret, stdout=self.stdout.write
        )
        shown = min(patients, 6)
        clinicians = max(2, -(-patients // PATIENTS_PER_CLINICIAN))
        lines = [
            "",
            f"Demo data is ready. Sign in with any of these (password for all: {password}):",
            f"  {FIRST_CLINIC}",
            "    clinic admin   admin@demo.test",
            "    clinicians     clinician1@demo.test, clinician2@demo.test"
            + (f" … clinician{clinicians}@demo.test" if clinicians > 2 else ""),
            "    patients       "
            + ", ".join(f"patient{i}@demo.test" for i in range(1, shown + 1))
            + (f" … patient{patients}@demo.test" if patients > shown else ""),
            f"  {SECOND_CLINIC}",
            "    clinic admin   admin@second.demo.test",
            "    clinician      clinician@second.demo.test",
            "    patient        patient@second.demo.test",
            "",
            "Clinicians and admins then give a code from an authenticator app (a second step). Add their",
            "secret below to any authenticator app, or get the current code with:",
            "  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\"",
            *(f"totp {email} {secret}" for email, secret in sorted(ctx.totp_secrets.items())),
        ]
        self.stdout.write("\n".join(lines))
