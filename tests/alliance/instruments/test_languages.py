"""Instruments in more than one language: the built-ins carry Spanish, a clinic may import a translation,
and a change to translations alone never splits answers across versions."""

import copy
import json

import pytest
from django.conf import settings
from django.utils import translation

from alliance.instruments import builtin_definitions, builtin_sync
from alliance.instruments.scoring import DefinitionError, definition_validate, localised, score
from alliance.models import Instrument, InstrumentVersion
from alliance.services.instruments import instrument_import

BUILTIN = {d["key"]: d for d in builtin_definitions()}

OWN = {
    "key": "our-alliance",
    "name": "Our alliance questionnaire",
    "respondent": "patient",
    "purpose": "alliance",
    "scale": {"min": 1, "max": 5, "low_label": "Seldom", "high_label": "Always"},
    "items": [{"key": "q1", "text": "We agree on what matters."}, {"key": "q2", "text": "I trust the plan."}],
    "translations": {
        "es": {
            "name": "Nuestro cuestionario de alianza",
            "items": {
                "q1": {
                    "text": "Estamos de acuerdo en lo que importa.",
                    "low_label": "Pocas veces",
                    "high_label": "Siempre",
                },
                "q2": {"text": "Confío en el plan.", "low_label": "Pocas veces", "high_label": "Siempre"},
            },
        }
    },
}


@pytest.mark.parametrize("key", sorted(BUILTIN))
def test_every_builtin_instrument_reads_in_every_offered_language(key):
    definition = BUILTIN[key]
    others = [code for code, _name in settings.LANGUAGES if code.split("-")[0] != "en"]
    for code in ["es", *others]:
        texts = localised(definition, code)
        assert texts["name"] != definition["name"], code
        for item, original in zip(texts["items"], definition["items"], strict=True):
            assert item["text"] and item["text"] != original["text"], (code, item["key"])
            assert item["low_label"] != original["low_label"] and item["high_label"] != original["high_label"]
        assert texts["instructions"] != definition["instructions"]


def test_localised_follows_the_active_language_and_its_base_and_keeps_the_scoring():
    definition = definition_validate(OWN)
    with translation.override("es"):
        assert localised(definition)["items"][0]["text"] == "Estamos de acuerdo en lo que importa."
    assert localised(definition, "es-mx")["name"] == "Nuestro cuestionario de alianza"
    assert localised(definition, "en-gb")["items"][0]["text"] == "We agree on what matters."
    assert localised(definition, "fr")["name"] == "Our alliance questionnaire"
    spanish = localised(definition, "es")
    assert spanish["items"][0]["label"] == "Estamos de acuerdo en lo que importa."  # label falls back to its text
    answers = {"q1": 4, "q2": 2}
    assert score(spanish, answers) == score(definition, answers)


def test_a_definition_written_in_spanish_reads_as_written_in_spanish():
    written_in_spanish = {**copy.deepcopy(OWN), "language": "es", "translations": {}}
    definition = definition_validate(written_in_spanish)
    assert definition["language"] == "es"
    assert localised(definition, "es")["name"] == "Our alliance questionnaire"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["translations"]["es"]["items"].pop("q2"), '"translations.es": "items.q2" is missing'),
        (lambda d: d["translations"]["es"]["items"].update(q9={"text": "¿?"}), "names items that do not exist: q9"),
        (lambda d: d["translations"].update({"Spanish!": {}}), '"Spanish!" is not a language code'),
        (lambda d: d["translations"]["es"]["items"]["q1"].pop("low_label"), '"items.q1": "low_label" is missing'),
        (lambda d: d["translations"]["es"].pop("name"), '"translations.es": "name" is missing'),
        (lambda d: d.update(translations=["es"]), '"translations" must be an object'),
    ],
)
def test_an_incomplete_translation_is_refused_with_a_reason(change, problem):
    broken = copy.deepcopy(OWN)
    change(broken)
    with pytest.raises(DefinitionError) as caught:
        definition_validate(broken)
    assert any(problem in reason for reason in caught.value.problems), caught.value.problems


def test_a_clinic_imports_a_translated_questionnaire_and_each_person_reads_their_own_language(cast):
    version = instrument_import(clinic=cast.riverside, by=cast.dave.user, text=json.dumps(OWN), activate=True)
    assert version.languages == ["English", "español"]
    with translation.override("es"):
        assert version.name == "Nuestro cuestionario de alianza"
        texts = [item["text"] for item in version.items]
        assert texts == ["Estamos de acuerdo en lo que importa.", "Confío en el plan."]
    with translation.override("en-gb"):
        assert version.items[1]["text"] == "I trust the plan."


def test_a_change_to_translations_alone_is_written_into_versions_with_the_same_wording(db):
    from alliance.instruments import _wording

    builtin_sync(Instrument, InstrumentVersion)
    instrument = Instrument.objects.get(clinic=None, key="pain-check")
    current = instrument.versions.get()
    # As a database migrated before the translations existed holds it.
    current.definition = _wording(current.definition)
    current.save()
    assert builtin_sync(Instrument, InstrumentVersion) == 0
    current.refresh_from_db()
    assert instrument.versions.count() == 1
    assert current.definition["translations"]["es"]["name"] == "Valoración del dolor"


def test_the_instrument_page_lists_its_languages(client_for, cast):
    page = client_for(cast.dave.user).get(f"/clinic/instruments/{Instrument.objects.get(key='pain-check').pk}/")
    assert page.status_code == 200
    assert "English, español" in page.content.decode()


def test_a_regional_code_is_read_for_its_language():
    regional = copy.deepcopy(OWN)
    regional["translations"] = {"es-ES": regional["translations"]["es"]}
    definition = definition_validate(regional)
    assert list(definition["translations"]) == ["es-es"]
    assert localised(definition, "es")["name"] == "Nuestro cuestionario de alianza"


def test_a_clinic_cannot_import_a_translation_for_a_language_alliance_does_not_offer(cast):
    from django.core.exceptions import ValidationError

    other = copy.deepcopy(OWN)
    other["translations"]["xx"] = other["translations"]["es"]
    with pytest.raises(ValidationError) as caught:
        instrument_import(clinic=cast.riverside, by=cast.dave.user, text=json.dumps(other), activate=True)
    assert caught.value.message_dict["definition"] == [
        '"translations": Alliance does not offer "xx"; it offers "en-gb", "es".'
    ]
    assert not Instrument.objects.filter(key="our-alliance").exists()
