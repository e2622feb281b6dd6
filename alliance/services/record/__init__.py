"""Writes to the shared record, one module per part; ``from alliance.services import record`` offers them all.

Who may do what:
- the patient writes questions, goals, wins, setbacks and story entries, answers explanations,
  records what matters and their choice, and says whether they felt heard;
- a clinician on the patient's care team answers, proposes goals, acknowledges wins, writes
  explanations and options, picks out story passages and keeps private notes;
- nobody else writes anything (``PermissionDenied``). A clinic admin sees counts only.

Every function validates, then saves all or nothing. Text is stored exactly as typed (trimmed);
templates escape it on the way out. Things that belong on the next session's agenda are pushed
there through ``sessions.services.agenda_item_add``.
"""

from alliance.services.record.common import clean_text
from alliance.services.record.decisions import (
    decision_advice_ask,
    decision_advice_give,
    decision_check_submit,
    decision_preference_record,
    decision_share,
    decision_start,
    option_add,
    option_balance_errors,
)
from alliance.services.record.explanations import (
    explanation_felt_heard,
    explanation_respond,
    explanation_revise,
    explanation_talked_through,
    explanation_write,
)
from alliance.services.record.goals import goal_accept, goal_add, goal_rate, goal_status_set
from alliance.services.record.items import (
    item_is_settled,
    record_item_changed_meanwhile,
    record_item_edit,
    record_item_may_edit,
    record_item_may_withdraw,
    record_item_withdraw,
    record_visit_mark,
    revise,
)
from alliance.services.record.journal import setback_add_to_agenda, setback_log, win_acknowledge, win_log
from alliance.services.record.notes import private_note_add
from alliance.services.record.questions import (
    question_about_access,
    question_answer,
    question_ask,
    question_feedback,
)
from alliance.services.record.story import story_add, story_passage_mark, story_reflect, story_reflection_respond

__all__ = [
    "clean_text",
    "decision_advice_ask",
    "decision_advice_give",
    "decision_check_submit",
    "decision_preference_record",
    "decision_share",
    "decision_start",
    "explanation_felt_heard",
    "explanation_respond",
    "explanation_revise",
    "explanation_talked_through",
    "explanation_write",
    "goal_accept",
    "goal_add",
    "goal_rate",
    "goal_status_set",
    "item_is_settled",
    "option_add",
    "option_balance_errors",
    "private_note_add",
    "question_about_access",
    "question_answer",
    "question_ask",
    "question_feedback",
    "record_item_changed_meanwhile",
    "record_item_edit",
    "record_item_may_edit",
    "record_item_may_withdraw",
    "record_item_withdraw",
    "record_visit_mark",
    "revise",
    "setback_add_to_agenda",
    "setback_log",
    "story_add",
    "story_passage_mark",
    "story_reflect",
    "story_reflection_respond",
    "win_acknowledge",
    "win_log",
]
