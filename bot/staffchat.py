"""Alerts to the staff chat (`[telegram] staff_chat_id`): errors, undelivered mail, capacity."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.context import BotData

log = logging.getLogger(__name__)


async def tell_staff(bot: Bot, data: BotData, key: str, **values: object) -> bool:
    """Send a catalog text (in Italian) to the staff chat; False when none is set or it failed."""
    chat_id = data.config.telegram.staff_chat_id
    if not chat_id:
        log.info("staff alert %s not sent: no staff chat configured", key)
        return False
    try:
        await bot.send_message(chat_id, data.texts.text("it", key, **values))
    except TelegramError as exc:
        log.warning("could not alert the staff chat: %s", exc)
        return False
    return True
