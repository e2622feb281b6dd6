"""factory_boy factories for the cast and their records."""

from datetime import timedelta

import factory
from django.utils import timezone

from patients.models import CareTeamMembership, Clinic, ClinicAdmin, Clinician, Patient, Profession, User
from sessions.models import CareSession

PASSWORD = "correct-horse-battery-staple"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    timezone = "Europe/London"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.django.Password(PASSWORD)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)


class ClinicianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinician

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)
    profession = Profession.PHYSIOTHERAPIST


class ClinicAdminFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClinicAdmin

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)


class CareTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareTeamMembership

    patient = factory.SubFactory(PatientFactory)
    clinician = factory.SubFactory(ClinicianFactory)


class CareSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareSession

    patient = factory.SubFactory(PatientFactory)
    clinician = factory.SubFactory(ClinicianFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    duration_minutes = 45
