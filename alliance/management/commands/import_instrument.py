from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from alliance.services.instruments import instrument_import
from patients.models import Clinic


class Command(BaseCommand):
    help = "Import a questionnaire definition (JSON) for a clinic, as a new instrument or a new version."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The JSON definition file.")
        parser.add_argument("--clinic", required=True, help="The clinic's exact name.")
        parser.add_argument("--activate", action="store_true", help="Use it instead of the built-in one.")

    def handle(self, *args, path, clinic, activate, **options):
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        try:
            target = Clinic.objects.get(name=clinic)
        except Clinic.DoesNotExist:
            raise CommandError(f"No clinic is called {clinic!r}.") from None
        try:
            version = instrument_import(clinic=target, by=None, text=text, activate=activate)
        except ValidationError as error:
            problems = [m for messages in error.message_dict.values() for m in messages]
            raise CommandError("The definition was not imported:\n- " + "\n- ".join(problems)) from None
        self.stdout.write(f"Imported {version.instrument.name}, version {version.number}, for {target.name}.")
