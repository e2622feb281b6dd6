"""Forms for the shared record. They collect words; the services decide what is allowed.

Text fields carry no ``max_length`` of their own: the service checks the length and says, next
to the field, how long it is, while the form keeps everything the person typed.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.models import (
    FeltHeard,
    Fit,
    GoalScale,
    GoalStatus,
    PreferenceKind,
    QuestionRoute,
    StoryTopic,
)
from alliance.models.record import (
    CHECK_QUESTIONS,
    CHECK_SCALE,
    GOAL_MOVES,
    SCALE_RANGES,
    HeardResponse,
    RecordItem,
    ReplyKind,
)


def textfield(label: str, *, required: str | None = None, rows: int = 4, help_text: str = "", single_line=False):
    widget = forms.TextInput() if single_line else forms.Textarea(attrs={"rows": rows})
    return forms.CharField(
        label=label,
        required=bool(required),
        help_text=help_text,
        widget=widget,
        strip=False,
        error_messages={"required": required or ""},
    )


def radios(label: str, choices, *, required: str = _("Please choose one."), help_text: str = "", coerce=None):
    if coerce is not None:
        return forms.TypedChoiceField(
            label=label,
            choices=choices,
            coerce=coerce,
            widget=forms.RadioSelect,
            help_text=help_text,
            error_messages={"required": required, "invalid_choice": required},
        )
    return forms.ChoiceField(
        label=label,
        choices=choices,
        widget=forms.RadioSelect,
        help_text=help_text,
        error_messages={"required": required, "invalid_choice": required},
    )


# --- Questions -------------------------------------------------------------------------------------


class QuestionForm(forms.Form):
    text = textfield(
        _("Your question"),
        required=_("Please write your question. Any question is welcome."),
        rows=5,
        help_text=_("Anything at all: about your pain, your body, your treatment, or something you read."),
    )
    worried_silly = forms.BooleanField(
        label=_("I worry this might be a silly question"),
        required=False,
        help_text=(
            _(
                "There are no silly questions here. Ticking this just lets your clinician know to take extra care "
                "answering. It is not shown on your question."
            )
        ),
    )
    route = radios(
        _("When would you like to talk about it?"),
        QuestionRoute.choices,
        required=_("Please choose when you'd like to talk about it."),
    )


class AnswerForm(forms.Form):
    body = textfield(_("Your answer"), rows=5, help_text=_("Plain words work best."))
    in_session = forms.BooleanField(
        label=_("We talked about this in a session"), required=False, help_text=_("A short note is enough then.")
    )


class FeedbackForm(forms.Form):
    outcome = radios(
        _("How did the answer land?"),
        [(ReplyKind.HELPED, _("That helps")), (ReplyKind.STILL_UNCLEAR, _("It's still unclear"))],
        required=_("Please choose whether the answer helped."),
    )
    words = textfield(_("Anything you'd like to add? (optional)"), rows=3)
    raise_next_session = forms.BooleanField(label=_("Let's talk about it at my next appointment"), required=False)


# --- Goals -----------------------------------------------------------------------------------------


class GoalForm(forms.Form):
    text = textfield(
        _("The goal, in your own words"),
        required=_("Please write the goal, in a few words."),
        single_line=True,
        help_text=_("For example: walk to the shops and back without stopping."),
    )
    why = textfield(_("Why it matters (optional)"), rows=3)
    scale = radios(
        _("How would you like to rate progress?"),
        [
            (GoalScale.ZERO_TEN, _("0 to 10, where 10 is fully there")),
            (GoalScale.GAS, _("−2 to +2, where 0 is where we hoped to be")),
        ],
    )

    def __init__(self, *args, for_clinician: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("scale", GoalScale.ZERO_TEN)
        if for_clinician:
            self.fields["text"].label = _("Suggested goal")
            self.fields["text"].help_text = _(
                "The patient will see it, and can take it on as it is or put it in their own words."
            )


class GoalAcceptForm(forms.Form):
    text = textfield(
        _("The goal, in your own words"),
        required=_("Please write the goal."),
        single_line=True,
        help_text=_("Keep it as it is, or change the wording so it fits you."),
    )


def _scale_choices(scale: str) -> list[tuple[int, str]]:
    low, high = SCALE_RANGES[scale]
    if scale == GoalScale.GAS:
        names = {
            -2: _("much less than hoped"),
            -1: _("less than hoped"),
            0: _("as hoped"),
            1: _("more than hoped"),
            2: _("much more"),
        }
        return [(v, f"{v:+d} {names[v]}" if v else f"0 {names[v]}") for v in range(low, high + 1)]
    ends = {low: _("not started"), high: _("fully there")}
    return [(v, f"{v} {ends[v]}" if v in ends else str(v)) for v in range(low, high + 1)]


class GoalRateForm(forms.Form):
    value = radios(_("Where are you with this goal today?"), [], coerce=int, required=_("Please choose a number."))
    note = textfield(_("A note (optional)"), rows=2)

    def __init__(self, *args, goal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value"].choices = _scale_choices(goal.scale)


class GoalStatusForm(forms.Form):
    status = radios(_("Change this goal to"), [], required=_("Please choose one."))
    note = textfield(_("A note (optional)"), rows=2)

    LABELS = {
        GoalStatus.ACHIEVED: _("Achieved"),
        GoalStatus.PAUSED: _("Paused for now"),
        GoalStatus.LET_GO: _("Let it go: it isn't the right goal now"),
        GoalStatus.ACTIVE: _("Working on it again"),
    }

    def __init__(self, *args, goal, **kwargs):
        super().__init__(*args, **kwargs)
        moves = [s for s in self.LABELS if s in GOAL_MOVES.get(goal.status, set())]
        self.fields["status"].choices = [(s, self.LABELS[s]) for s in moves]


# --- Wins and setbacks -----------------------------------------------------------------------------


class WinForm(forms.Form):
    text = textfield(
        _("What went well?"),
        required=_("Please write what went well. Small things count."),
        rows=3,
        help_text=_("However small. Walking a bit further, a better night, saying no to something."),
    )


class AcknowledgeForm(forms.Form):
    reply = textfield(_("A few words to go with it (optional)"), rows=2)


class SetbackForm(forms.Form):
    what_happened = textfield(_("What happened?"), required=_("Please say a little about what happened."), rows=3)
    what_was_going_on = textfield(_("What was going on around that time? (optional)"), rows=3)
    what_helped = textfield(_("What helped, even a little? (optional)"), rows=3)
    add_to_agenda = forms.BooleanField(label=_("I'd like to talk about this at the next appointment"), required=False)


# --- Explanations ----------------------------------------------------------------------------------


class ExplanationForm(forms.Form):
    title = textfield(
        _("Title"),
        required=_("Please give the explanation a short title."),
        single_line=True,
        help_text=_("For example: why my back still hurts after the scan was clear."),
    )
    body = textfield(
        _("Your current understanding, in plain language"),
        required=_("Please write the explanation in plain language."),
        rows=8,
        help_text=_("The patient will be asked whether it fits their experience."),
    )


class ReviseForm(forms.Form):
    body = textfield(
        _("New version"),
        required=_("Please write the new version."),
        rows=8,
        help_text=_("The earlier versions stay readable, with their dates and the patient's answers."),
    )


class FitForm(forms.Form):
    fit = radios(_("Does this fit your experience?"), Fit.choices, required=_("Please choose how well this fits."))
    words = textfield(
        _("In your own words: what fits, and what doesn't?"),
        rows=4,
        help_text=_("You know your body and your life. It's fine to say this isn't right."),
    )


class TalkedForm(forms.Form):
    note = textfield(_("What you talked about (optional)"), rows=3)


class FeltHeardForm(forms.Form):
    felt_heard = radios(_("When you talked it through, did you feel heard?"), FeltHeard.choices)
    words = textfield(_("Anything you'd like to add? (optional)"), rows=3)


# --- Options and decisions -------------------------------------------------------------------------


class DecisionForm(forms.Form):
    title = textfield(
        _("What is the decision?"),
        required=_("Please say what the decision is about."),
        single_line=True,
        help_text=_("For example: what to do about my knee."),
    )
    context = textfield(_("Background (optional)"), rows=4)


class OptionForm(forms.Form):
    title = textfield(
        _("Name of the option"),
        required=_("Please name the option."),
        single_line=True,
        help_text=_("For example: surgery."),
    )
    benefits = textfield(_("Benefits"), rows=4, help_text=_("One per line."))
    downsides = textfield(_("Downsides and risks"), rows=4, help_text=_("One per line."))
    uncertainties = textfield(_("What is uncertain (optional)"), rows=3, help_text=_("One per line."))


class AdviceForm(forms.Form):
    advice = textfield(
        _("If you were my family, I would…"),
        required=_("Please say what you would do if this were your family."),
        rows=3,
        help_text=_("Your own honest view, in your own words. It is shown apart from the options, as yours."),
    )
    reasons = textfield(_("My reasons"), required=_("Please give your reasons, so they can weigh them."), rows=3)
    would_change = textfield(
        _("What would change my mind"),
        required=_("Please say what would change your mind. It shows this is a view, not the only answer."),
        rows=3,
    )


class PreferenceForm(forms.Form):
    what_matters = textfield(
        _("What matters most to you in this decision?"),
        rows=4,
        help_text=_("For example: being able to pick up my grandchildren, or not having time off work."),
    )
    kind = radios(_("Where are you with this decision?"), PreferenceKind.choices)
    option = forms.ChoiceField(
        label=_("Which option?"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Leave this if you're not sure yet."),
    )

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {str(option.pk): option for option in options}
        self.fields["option"].choices = [(pk, option.title) for pk, option in self.options.items()]

    def clean_option(self):
        return self.options.get(self.cleaned_data.get("option") or "")


class DecisionCheckForm(forms.Form):
    comment = textfield(_("Anything else you'd like to tell us? (optional)"), rows=3)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, question in reversed(CHECK_QUESTIONS.items()):
            self.fields = {
                key: radios(question, CHECK_SCALE, coerce=int, required=_("Please choose an answer.")),
                **self.fields,
            }


# --- Story -----------------------------------------------------------------------------------------


class StoryForm(forms.Form):
    topic = radios(_("What is this part of your story about?"), StoryTopic.choices)
    title = textfield(_("A title (optional)"), single_line=True)
    body = textfield(
        _("Your story"),
        required=_("Please write something. It can be as short or as long as you like."),
        rows=10,
        help_text=_("Write as much or as little as you like. You can add more entries over time."),
    )


class PassageForm(forms.Form):
    """A passage picked out of a story entry: the words selected on the page (``quote``, filled by the
    page's script from the selection) or, without a script, one of the entry's ``sentences`` chosen
    from a list. Never retyped. ``cleaned_data`` gives ``quote`` and ``note``."""

    quote = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    sentence = forms.TypedChoiceField(
        label=_("Or choose a sentence"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("It goes on the next appointment's agenda."),
        error_messages={"invalid_choice": _("That sentence isn't in this entry. Please choose one from the list.")},
    )
    note = textfield(_("Why they stood out (optional, the patient sees this)"), rows=2)

    def __init__(self, *args, sentences: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.sentences = sentences
        self.fields["sentence"].choices = [("", _("Choose a sentence…"))] + [
            (index, text if len(text) <= 90 else text[:89] + "…") for index, text in enumerate(sentences)
        ]

    def clean(self):
        cleaned = super().clean()
        selected = (cleaned.get("quote") or "").strip()
        index = cleaned.get("sentence")
        if not selected and index is not None:
            selected = self.sentences[index]
        if not selected and not self.errors:
            self.add_error("sentence", _("Please select the words in the entry above, or choose a sentence here."))
        cleaned["quote"] = selected
        cleaned.pop("sentence", None)
        return cleaned


class ReflectForm(forms.Form):
    summary = textfield(
        _("What I heard"),
        required=_("Please write what you heard, briefly."),
        rows=4,
        help_text=_("A short summary in your words. The patient can confirm it or correct it."),
    )


class ReflectionRespondForm(forms.Form):
    response = radios(_("Is this what you meant?"), HeardResponse.choices)
    correction = textfield(_("What did they miss or get wrong?"), rows=3)


class PrivateNoteForm(forms.Form):
    body = textfield(
        _("Private note"), required=_("Please write the note."), rows=3, help_text=_("Only the care team sees this.")
    )
    section = forms.CharField(required=False, widget=forms.HiddenInput)


# --- Editing ---------------------------------------------------------------------------------------

EDIT_LABELS = {
    "text": _("Wording"),
    "why": _("Why it matters"),
    "what_happened": _("What happened?"),
    "what_was_going_on": _("What was going on around that time?"),
    "what_helped": _("What helped, even a little?"),
    "title": _("Title"),
    "body": _("Text"),
    "context": _("Background"),
    "benefits": _("Benefits (one per line)"),
    "downsides": _("Downsides and risks (one per line)"),
    "uncertainties": _("What is uncertain (one per line)"),
}


class EditForm(forms.Form):
    def __init__(self, *args, item: RecordItem, **kwargs):
        super().__init__(*args, **kwargs)
        for field, (limit, required) in item.editable.items():
            single = limit <= 300
            self.fields[field] = textfield(EDIT_LABELS[field], required=required, rows=4, single_line=single)
