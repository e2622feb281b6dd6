"""Forms for the shared record. They collect words; the services decide what is allowed.

Text fields carry no ``max_length`` of their own: the service checks the length and says, next
to the field, how long it is, while the form keeps everything the person typed.
"""

from __future__ import annotations

from django import forms

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


def radios(label: str, choices, *, required: str = "Please choose one.", help_text: str = "", coerce=None):
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
        "Your question",
        required="Please write your question. Any question is welcome.",
        rows=5,
        help_text="Anything at all: about your pain, your body, your treatment, or something you read.",
    )
    worried_silly = forms.BooleanField(
        label="I worry this might be a silly question",
        required=False,
        help_text=(
            "There are no silly questions here. Ticking this just lets your clinician know to take extra care "
            "answering. It is not shown on your question."
        ),
    )
    route = radios(
        "When would you like to talk about it?",
        QuestionRoute.choices,
        required="Please choose when you'd like to talk about it.",
    )


class AnswerForm(forms.Form):
    body = textfield("Your answer", rows=5, help_text="Plain words work best.")
    in_session = forms.BooleanField(
        label="We talked about this in a session", required=False, help_text="A short note is enough then."
    )


class FeedbackForm(forms.Form):
    outcome = radios(
        "How did the answer land?",
        [(ReplyKind.HELPED, "That helps"), (ReplyKind.STILL_UNCLEAR, "It's still unclear")],
        required="Please choose whether the answer helped.",
    )
    words = textfield("Anything you'd like to add? (optional)", rows=3)
    raise_next_session = forms.BooleanField(label="Let's talk about it at my next appointment", required=False)


# --- Goals -----------------------------------------------------------------------------------------


class GoalForm(forms.Form):
    text = textfield(
        "The goal, in your own words",
        required="Please write the goal, in a few words.",
        single_line=True,
        help_text="For example: walk to the shops and back without stopping.",
    )
    why = textfield("Why it matters (optional)", rows=3)
    scale = radios(
        "How would you like to rate progress?",
        [
            (GoalScale.ZERO_TEN, "0 to 10, where 10 is fully there"),
            (GoalScale.GAS, "−2 to +2, where 0 is where we hoped to be"),
        ],
    )

    def __init__(self, *args, for_clinician: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("scale", GoalScale.ZERO_TEN)
        if for_clinician:
            self.fields["text"].label = "Suggested goal"
            self.fields[
                "text"
            ].help_text = "The patient will see it, and can take it on as it is or put it in their own words."


class GoalAcceptForm(forms.Form):
    text = textfield(
        "The goal, in your own words",
        required="Please write the goal.",
        single_line=True,
        help_text="Keep it as it is, or change the wording so it fits you.",
    )


def _scale_choices(scale: str) -> list[tuple[int, str]]:
    low, high = SCALE_RANGES[scale]
    if scale == GoalScale.GAS:
        names = {-2: "much less than hoped", -1: "less than hoped", 0: "as hoped", 1: "more than hoped", 2: "much more"}
        return [(v, f"{v:+d} {names[v]}" if v else f"0 {names[v]}") for v in range(low, high + 1)]
    return [
        (v, f"{v}{' not started' if v == low else ' fully there' if v == high else ''}") for v in range(low, high + 1)
    ]


class GoalRateForm(forms.Form):
    value = radios("Where are you with this goal today?", [], coerce=int, required="Please choose a number.")
    note = textfield("A note (optional)", rows=2)

    def __init__(self, *args, goal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value"].choices = _scale_choices(goal.scale)


class GoalStatusForm(forms.Form):
    status = radios("Change this goal to", [], required="Please choose one.")
    note = textfield("A note (optional)", rows=2)

    LABELS = {
        GoalStatus.ACHIEVED: "Achieved",
        GoalStatus.PAUSED: "Paused for now",
        GoalStatus.LET_GO: "Let it go: it isn't the right goal now",
        GoalStatus.ACTIVE: "Working on it again",
    }

    def __init__(self, *args, goal, **kwargs):
        super().__init__(*args, **kwargs)
        moves = [s for s in self.LABELS if s in GOAL_MOVES.get(goal.status, set())]
        self.fields["status"].choices = [(s, self.LABELS[s]) for s in moves]


# --- Wins and setbacks -----------------------------------------------------------------------------


class WinForm(forms.Form):
    text = textfield(
        "What went well?",
        required="Please write what went well. Small things count.",
        rows=3,
        help_text="However small. Walking a bit further, a better night, saying no to something.",
    )


class AcknowledgeForm(forms.Form):
    reply = textfield("A few words to go with it (optional)", rows=2)


class SetbackForm(forms.Form):
    what_happened = textfield("What happened?", required="Please say a little about what happened.", rows=3)
    what_was_going_on = textfield("What was going on around that time? (optional)", rows=3)
    what_helped = textfield("What helped, even a little? (optional)", rows=3)
    add_to_agenda = forms.BooleanField(label="I'd like to talk about this at the next appointment", required=False)


# --- Explanations ----------------------------------------------------------------------------------


class ExplanationForm(forms.Form):
    title = textfield(
        "Title",
        required="Please give the explanation a short title.",
        single_line=True,
        help_text="For example: why my back still hurts after the scan was clear.",
    )
    body = textfield(
        "Your current understanding, in plain language",
        required="Please write the explanation in plain language.",
        rows=8,
        help_text="The patient will be asked whether it fits their experience.",
    )


class ReviseForm(forms.Form):
    body = textfield(
        "New version",
        required="Please write the new version.",
        rows=8,
        help_text="The earlier versions stay readable, with their dates and the patient's answers.",
    )


class FitForm(forms.Form):
    fit = radios("Does this fit your experience?", Fit.choices, required="Please choose how well this fits.")
    words = textfield(
        "In your own words: what fits, and what doesn't?",
        rows=4,
        help_text="You know your body and your life. It's fine to say this isn't right.",
    )


class TalkedForm(forms.Form):
    note = textfield("What you talked about (optional)", rows=3)


class FeltHeardForm(forms.Form):
    felt_heard = radios("When you talked it through, did you feel heard?", FeltHeard.choices)
    words = textfield("Anything you'd like to add? (optional)", rows=3)


# --- Options and decisions -------------------------------------------------------------------------


class DecisionForm(forms.Form):
    title = textfield(
        "What is the decision?",
        required="Please say what the decision is about.",
        single_line=True,
        help_text="For example: what to do about my knee.",
    )
    context = textfield("Background (optional)", rows=4)


class OptionForm(forms.Form):
    title = textfield(
        "Name of the option", required="Please name the option.", single_line=True, help_text="For example: surgery."
    )
    benefits = textfield("Benefits", rows=4, help_text="One per line.")
    downsides = textfield("Downsides and risks", rows=4, help_text="One per line.")
    uncertainties = textfield("What is uncertain (optional)", rows=3, help_text="One per line.")


class AdviceForm(forms.Form):
    advice = textfield(
        "If you were my family, I would…",
        required="Please say what you would do if this were your family.",
        rows=3,
        help_text="Your own honest view, in your own words. It is shown apart from the options, as yours.",
    )
    reasons = textfield("My reasons", required="Please give your reasons, so they can weigh them.", rows=3)
    would_change = textfield(
        "What would change my mind",
        required="Please say what would change your mind. It shows this is a view, not the only answer.",
        rows=3,
    )


class PreferenceForm(forms.Form):
    what_matters = textfield(
        "What matters most to you in this decision?",
        rows=4,
        help_text="For example: being able to pick up my grandchildren, or not having time off work.",
    )
    kind = radios("Where are you with this decision?", PreferenceKind.choices)
    option = forms.ChoiceField(
        label="Which option?",
        required=False,
        widget=forms.RadioSelect,
        help_text="Leave this if you're not sure yet.",
    )

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {str(option.pk): option for option in options}
        self.fields["option"].choices = [(pk, option.title) for pk, option in self.options.items()]

    def clean_option(self):
        return self.options.get(self.cleaned_data.get("option") or "")


class DecisionCheckForm(forms.Form):
    comment = textfield("Anything else you'd like to tell us? (optional)", rows=3)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, question in reversed(CHECK_QUESTIONS.items()):
            self.fields = {
                key: radios(question, CHECK_SCALE, coerce=int, required="Please choose an answer."),
                **self.fields,
            }


# --- Story -----------------------------------------------------------------------------------------


class StoryForm(forms.Form):
    topic = radios("What is this part of your story about?", StoryTopic.choices)
    title = textfield("A title (optional)", single_line=True)
    body = textfield(
        "Your story",
        required="Please write something. It can be as short or as long as you like.",
        rows=10,
        help_text="Write as much or as little as you like. You can add more entries over time.",
    )


class PassageForm(forms.Form):
    """A passage picked out of a story entry: the words selected on the page (``quote``, filled by the
    page's script from the selection) or, without a script, one of the entry's ``sentences`` chosen
    from a list. Never retyped. ``cleaned_data`` gives ``quote`` and ``note``."""

    quote = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    sentence = forms.TypedChoiceField(
        label="Or choose a sentence",
        coerce=int,
        required=False,
        empty_value=None,
        help_text="It goes on the next appointment's agenda.",
        error_messages={"invalid_choice": "That sentence isn't in this entry. Please choose one from the list."},
    )
    note = textfield("Why they stood out (optional, the patient sees this)", rows=2)

    def __init__(self, *args, sentences: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.sentences = sentences
        self.fields["sentence"].choices = [("", "Choose a sentence…")] + [
            (index, text if len(text) <= 90 else text[:89] + "…") for index, text in enumerate(sentences)
        ]

    def clean(self):
        cleaned = super().clean()
        selected = (cleaned.get("quote") or "").strip()
        index = cleaned.get("sentence")
        if not selected and index is not None:
            selected = self.sentences[index]
        if not selected and not self.errors:
            self.add_error("sentence", "Please select the words in the entry above, or choose a sentence here.")
        cleaned["quote"] = selected
        cleaned.pop("sentence", None)
        return cleaned


class ReflectForm(forms.Form):
    summary = textfield(
        "What I heard",
        required="Please write what you heard, briefly.",
        rows=4,
        help_text="A short summary in your words. The patient can confirm it or correct it.",
    )


class ReflectionRespondForm(forms.Form):
    response = radios("Is this what you meant?", HeardResponse.choices)
    correction = textfield("What did they miss or get wrong?", rows=3)


class PrivateNoteForm(forms.Form):
    body = textfield(
        "Private note", required="Please write the note.", rows=3, help_text="Only the care team sees this."
    )
    section = forms.CharField(required=False, widget=forms.HiddenInput)


# --- Editing ---------------------------------------------------------------------------------------

EDIT_LABELS = {
    "text": "Wording",
    "why": "Why it matters",
    "what_happened": "What happened?",
    "what_was_going_on": "What was going on around that time?",
    "what_helped": "What helped, even a little?",
    "title": "Title",
    "body": "Text",
    "context": "Background",
    "benefits": "Benefits (one per line)",
    "downsides": "Downsides and risks (one per line)",
    "uncertainties": "What is uncertain (one per line)",
}


class EditForm(forms.Form):
    def __init__(self, *args, item: RecordItem, **kwargs):
        super().__init__(*args, **kwargs)
        for field, (limit, required) in item.editable.items():
            single = limit <= 300
            self.fields[field] = textfield(EDIT_LABELS[field], required=required, rows=4, single_line=single)
