"""Citizens' proposals to a lab or to the whole network: what a proposal may say, the draft of
one being written, the limits that keep the channel kind, and the states of an answer.

Plain data and plain functions: the Telegram side is `handlers/proposals/`, the SQL side
`storage/proposals.py`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from domain.text import one_line

MAX_TITLE = 80
MAX_BODY = 1000
MAX_PLACE = 120
DAILY_LIMIT = 3  # proposals sent per person in 24 hours
REPORTS_TO_HIDE = 3  # reports from different people that hide a proposal until moderated
MAX_OFFER = 500
OFFER_EVERY = timedelta(days=7)  # one offer of a hand per person and lab in this time
WAITING_REMINDER = timedelta(days=7)  # a proposal not moderated by then reminds staff, once
NETWORK = ""  # the lab id of a proposal to the whole network

# The moderation of a proposal, then (once published) the state of its answer.
PENDING, PUBLISHED, REJECTED = "pending", "published", "rejected"
ANSWER_STATES = ("evaluating", "accepted", "declined", "done")  # "in valutazione" ... "realizzata"

# The steps of the form, in order; optional ones have a skip button.
STEPS = ("where", "title", "body", "place", "photo", "preview")
OPTIONAL = ("place", "photo")
EDITABLE = ("title", "body", "place", "photo", "where")

_URL = re.compile(r"(?:https?://|www\.|t\.me/)\S*|\S+\.(?:it|com|org|net|eu|ly)(?:/\S*)?", re.I)


class ProposalProblem(ValueError):
    """What is wrong with a field as typed; `code` names the catalog text that says it."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _check_words(value: str) -> None:
    if not value:
        raise ProposalProblem("empty")
    if not any(c.isalnum() for c in value):
        raise ProposalProblem("no_words")  # emoji, punctuation: nothing to read
    if not any(c.isalnum() for c in _URL.sub(" ", value)):
        raise ProposalProblem("link_only")


def check_title(text: str) -> str:
    """One line (line breaks folded), words, at most MAX_TITLE characters."""
    value = one_line(text)
    _check_words(value)
    if len(value) > MAX_TITLE:
        raise ProposalProblem("title_long")
    return value


def check_body(text: str) -> str:
    value = text.strip()
    _check_words(value)
    if len(value) > MAX_BODY:
        raise ProposalProblem("body_long")
    return value


def check_place(text: str) -> str:
    value = one_line(text)
    _check_words(value)
    if len(value) > MAX_PLACE:
        raise ProposalProblem("place_long")
    return value


def check_reason(text: str) -> str:
    """A moderator's reason (a refusal, an answer): words, within a message's room."""
    value = text.strip()
    _check_words(value)
    if len(value) > MAX_BODY:
        raise ProposalProblem("body_long")
    return value


def check_offer(text: str) -> str:
    """What a person can do and when: words, at most MAX_OFFER characters."""
    value = text.strip()
    _check_words(value)
    if len(value) > MAX_OFFER:
        raise ProposalProblem("offer_long")
    return value


def may_send(sent_last_day: int) -> bool:
    return sent_last_day < DAILY_LIMIT


@dataclass
class ProposalDraft:
    """A proposal being written, kept at every step (a restart resumes it)."""

    user_id: int = 0
    step: str = "where"
    lab: str | None = None  # None: not chosen yet; NETWORK: the whole network
    title: str = ""
    body: str = ""
    place: str = ""
    lat: float | None = None
    lon: float | None = None
    photo: str = ""  # Telegram file_id
    show_name: bool = False  # the author's first name shown publicly: off unless asked
    returning: bool = False  # changing one field from the preview: back there after it
    updated_at: str = ""  # ISO, UTC: the time-out counts from here

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("user_id")
        data.pop("updated_at")
        return data

    @classmethod
    def from_data(cls, user_id: int, data: dict[str, Any], updated_at: datetime) -> ProposalDraft:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        return cls(user_id=user_id, updated_at=updated_at.isoformat(), **values)

    def next_step(self) -> str:
        """After answering the current step: the next one, or the preview when changing one."""
        if self.returning or self.step == "preview":
            return "preview"
        return STEPS[STEPS.index(self.step) + 1]


def age_days(created_at: datetime, now: datetime) -> int:
    return max(0, (now - created_at) // timedelta(days=1))
