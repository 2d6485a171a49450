"""Telegram's refusals to deliver a message, told apart.

Only 403 "Forbidden: bot was blocked by the user" says that a person blocked the bot: they are
recorded as such and left out of later sends until they write again. Every other refusal is a
delivery that failed, and no more is known: 400 "Bad Request: chat not found" (Telegram knows no
chat with them: they never started the bot), 403 "Forbidden: user is deactivated" (a deleted
account), 403 "Forbidden: bot can't initiate conversation with a user".
"""

from __future__ import annotations

from telegram.error import Forbidden


def blocked_by_user(error: BaseException) -> bool:
    """Whether Telegram refused because the person blocked the bot."""
    return isinstance(error, Forbidden) and "blocked by the user" in error.message.lower()
