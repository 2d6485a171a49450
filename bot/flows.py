"""Conversation handlers, built one way."""

from __future__ import annotations

import warnings
from typing import Any

from telegram.ext import ConversationHandler
from telegram.warnings import PTBUserWarning


def conversation(**kwargs: Any) -> ConversationHandler:
    """A ConversationHandler per chat and user, mixing typed messages and buttons.

    PTB warns that with `per_message=False` a CallbackQueryHandler is not tracked per message:
    that is the intended design here (a button only advances the flow of the person who
    pressed it, in their chat), so that one warning is silenced and every other stays on.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"If 'per_message=False'", category=PTBUserWarning
        )
        return ConversationHandler(per_chat=True, per_user=True, per_message=False, **kwargs)
