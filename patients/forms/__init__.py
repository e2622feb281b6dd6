import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils.translation import get_language_info, gettext
from django.utils.translation import gettext_lazy as _

from patients.models import Clinic, Clinician, Profession, Role, validate_no_direction_controls


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names, or at the top of the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


T = TypeVar("T")


@dataclass(frozen=True)
class Saved(Generic[T]):
    """A form whose service call went through; ``value`` is what the service returned."""

    value: T


def form_save(form: forms.Form, save: Callable[[dict], T]) -> Saved[T] | None:
    """Validate ``form``, then call ``save(form.cleaned_data)``.

    Returns ``Saved(value)`` when it went through, else None: the form then carries its errors,
    those of its fields and any ``ValidationError`` the service raised (next to the fields it names),
    and still holds everything that was typed, ready to show again. Views use it as
    ``if saved := form_save(form, lambda data: service(**data)): ...``.
    """
    if not form.is_valid():
        return None
    try:
        return Saved(save(form.cleaned_data))
    except ValidationError as error:
        apply_errors(form, error)
        return None


def changed_meanwhile(form: forms.Form, message: str) -> forms.Form:
    """A form sent to something that changed since the page was drawn (cancelled, closed, withdrawn,
    moved off the care team): say what happened next to the form, and keep every word that was sent.

    The form answers 400 through ``form_status``; nothing is saved.
    """
    form.is_valid()  # so the fields show what was sent, cleaned as usual
    form.add_error(None, message)
    return form


def form_status(*forms_shown: forms.Form | None) -> int:
    """The status of a page showing these forms: 400 when one was sent and has errors, else 200."""
    return 400 if any(f is not None and f.is_bound and f.errors for f in forms_shown) else 200


def _is_row_id(value) -> bool:
    """True for a whole number a database id could be. Anything else cannot name a row."""
    text = str(value).strip()
    return text.isdigit() and 0 < int(text) < 2**63


class RowChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that refuses ids no bigint can hold before asking the database.

    PostgreSQL copes with such an id today only by luck of how the query is written (checked with
    Django 5.2 and psycopg2): Django drops an out-of-range exact lookup itself, and PostgreSQL compares
    a huge ``IN (…)`` value as a numeric and finds nothing. Typed as a bigint (``%s::bigint``) it
    fails with "bigint out of range", a 500. Refused here, it is "not a valid choice" however the
    query is written.
    """

    def to_python(self, value):
        if value not in self.empty_values and not _is_row_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class RowMultipleChoiceField(forms.ModelMultipleChoiceField):
    """The many-choice counterpart of ``RowChoiceField``."""

    def _check_values(self, value):
        for item in value:
            if not _is_row_id(item):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                )
        return super()._check_values(value)


INVITABLE_ROLES = [
    (Role.PATIENT, _("A patient")),
    (Role.CLINICIAN, _("A clinician")),
    (Role.CLINIC_ADMIN, _("Another clinic admin")),
]


def timezone_choices() -> list[tuple[str, str]]:
    regions = ("Africa/", "America/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Indian/", "Pacific/")
    names = sorted(name for name in zoneinfo.available_timezones() if name.startswith(regions))
    return [("", gettext("My clinic's time zone")), ("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


class EmailAuthenticationForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "That email address and password don't match an account we know. Please check them and try "
            "again. If you have forgotten your password, you can reset it below."
        ),
        "inactive": _("This account is not active. Please contact your clinic."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = gettext("Email address")
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "inputmode": "email"})
        # Django autofocuses this field; that skips the skip link and the page's heading for people
        # using a keyboard or a screen reader.
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.fields["username"].max_length = 254


class InvitationForm(forms.Form):
    role = forms.ChoiceField(label=_("Who are you inviting?"), choices=INVITABLE_ROLES, widget=forms.RadioSelect)
    full_name = forms.CharField(label=_("Full name"), max_length=150, validators=[validate_no_direction_controls])
    email = forms.EmailField(label=_("Email address"), max_length=254)
    profession = forms.ChoiceField(
        label=_("Profession (for clinicians)"), choices=[("", _("Choose…")), *Profession.choices], required=False
    )
    clinicians = RowMultipleChoiceField(
        label=_("Care team (for patients)"),
        queryset=Clinician.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The clinicians who will treat this patient. You can change this later."),
    )
    language = forms.ChoiceField(
        label=_("Their language"),
        required=False,
        help_text=_("The invitation email, and their pages once they join. They can change it on their account."),
    )

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].widget.attrs["autocomplete"] = "off"
        if len(settings.LANGUAGES) > 1:
            self.fields["language"].choices = [("", gettext("The same as their browser")), *settings.LANGUAGES]
        else:  # nothing to choose yet
            del self.fields["language"]
        self.fields["clinicians"].queryset = Clinician.objects.filter(
            clinic=clinic, user__is_active=True
        ).select_related("user")
        self.fields["clinicians"].label_from_instance = lambda c: f"{c.user.full_name} ({c.get_profession_display()})"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == Role.CLINICIAN and not cleaned.get("profession"):
            self.add_error("profession", gettext("Please choose the clinician's profession."))
        return cleaned


class CareTeamAddForm(forms.Form):
    clinician = RowChoiceField(label=_("Add a clinician"), queryset=Clinician.objects.none())

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = (
            Clinician.objects.filter(clinic_id=patient.clinic_id, user__is_active=True)
            .exclude(care_team_memberships__patient=patient)
            .select_related("user")
        )
        self.fields["clinician"].label_from_instance = lambda c: f"{c.user.full_name} ({c.get_profession_display()})"


class AcceptInvitationForm(SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = gettext("Choose a password")
        self.fields["new_password2"].label = gettext("Type the same password again")


class AccountForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150, validators=[validate_no_direction_controls])
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("Appointment times and reminders use this time zone."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("Pages and emails use this language."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices()
        if len(settings.LANGUAGES) > 1:
            self.fields["language"].choices = [("", gettext("The same as my browser")), *settings.LANGUAGES]
        else:  # nothing to choose yet
            del self.fields["language"]


class ClinicSettingsForm(forms.Form):
    """The clinic's own settings; labels, ranges and help come from the fields on ``Clinic``."""

    alert_overdue_days = Clinic._meta.get_field("alert_overdue_days").formfield(min_value=1, max_value=30)
    review_every_sessions = Clinic._meta.get_field("review_every_sessions").formfield(min_value=2, max_value=20)
    urgent_help = Clinic._meta.get_field("urgent_help").formfield(widget=forms.Textarea(attrs={"rows": 9}))

    def __init__(self, *args, **kwargs):
        from patients.services import urgent_help_field, urgent_help_languages

        super().__init__(*args, **kwargs)
        for code in urgent_help_languages():
            language = get_language_info(code)["name_translated"]
            self.fields[urgent_help_field(code)] = forms.CharField(
                label=gettext("Urgent help in %(language)s") % {"language": language},
                required=False,
                widget=forms.Textarea(attrs={"rows": 9, "lang": code}),
                help_text=gettext(
                    "For patients who read Alliance in %(language)s. Left empty, they see your text above and, "
                    "in %(language)s, the general advice (999, 111, their GP)."
                )
                % {"language": language},
            )


class SecondFactorForm(forms.Form):
    """One field for the second step: a code from an authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        strip=True,
        help_text=_("The six-digit code your authenticator app shows now, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false", "autofocus": True}
        ),
    )

    def __init__(self, *args, help_text: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if help_text is not None:
            self.fields["code"].help_text = help_text


class EmailChangeForm(forms.Form):
    """A new sign-in address, with the current password to show it is the person themself."""

    new_email = forms.EmailField(
        label=_("New email address"),
        max_length=254,
        help_text=_("We'll email a link to this address. Your address changes when you open it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    password = forms.CharField(
        label=_("Your current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
