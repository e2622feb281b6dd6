from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from alliance.demo.seed import FIRST_CLINIC, PATIENTS_PER_CLINICIAN, SECOND_CLINIC, seed_demo

DEFAULT_PASSWORD = "alliance-demo-2026"  # noqa: S105 - demo accounts only, printed on purpose


class Command(BaseCommand):
    help = "Create (or top up) two demo clinics with named accounts and weeks of history. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password for every demo account.")
        parser.add_argument("--patients", type=int, default=6, help="Patients in the first clinic (at least 2).")
        parser.add_argument("--weeks", type=int, default=8, help="Weeks of past appointments to create.")

    def handle(self, *args, password, patients, weeks, **options):
        if patients < 2:
            raise CommandError("--patients must be at least 2 (patient1 and patient2 have fixed care teams).")
        if not 1 <= weeks <= 520:
            raise CommandError("--weeks must be between 1 and 520.")
        try:
            validate_password(password)
        except ValidationError as error:
            raise CommandError("--password: " + " ".join(error.messages)) from None
        seed_demo(password=password, patients=patients, weeks=weeks, stdout=self.stdout.write)
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
        ]
        self.stdout.write("\n".join(lines))
