"""The instruments Alliance ships, as JSON definitions (see ``alliance.instruments.scoring``).

``builtin_sync`` makes the database match these files: a new instrument is created, and a
changed definition becomes a new version, so responses keep the version they were given on.
Migrations call it; after editing a file, add a migration that calls it again.
"""

import json
from pathlib import Path

from alliance.instruments.scoring import definition_validate

FOLDER = Path(__file__).parent


def builtin_definitions() -> list[dict]:
    return [definition_validate(json.loads(path.read_text())) for path in sorted(FOLDER.glob("*.json"))]


def _wording(definition: dict) -> dict:
    """The definition without its translations: what a response was given on."""
    return {key: value for key, value in definition.items() if key != "translations"}


def builtin_sync(Instrument, InstrumentVersion) -> int:
    """Create or version the built-in instruments; returns how many versions were added.

    A change of wording, items or scoring becomes a new version. A change only to the translations is
    written into every version with the same wording, so answers already given read in each language.
    """
    added = 0
    for definition in builtin_definitions():
        instrument, _ = Instrument.objects.get_or_create(
            clinic=None,
            key=definition["key"],
            defaults={
                "name": definition["name"],
                "respondent": definition["respondent"],
                "purpose": definition["purpose"],
            },
        )
        for version in InstrumentVersion.objects.filter(instrument=instrument):
            if _wording(version.definition) == _wording(definition) and version.definition != definition:
                version.definition = definition
                version.save(update_fields=["definition"])
        latest = InstrumentVersion.objects.filter(instrument=instrument).order_by("-number").first()
        if latest is None or latest.definition != definition:
            InstrumentVersion.objects.create(
                instrument=instrument, number=(latest.number + 1) if latest else 1, definition=definition
            )
            added += 1
    return added
