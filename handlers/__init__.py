"""Every feature's handlers, registered in one place so the routing order reads top to bottom."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, TypeHandler

from bot import flows
from handlers import (
    abuse,
    announce,
    coordinators,
    core,
    errors,
    events,
    fallback,
    labedit,
    labs,
    menu,
    notifications,
    privacy,
    proposals,
    questions,
    roles,
    scuola,
    staff,
    stats,
    tracking,
)


def register_all(app: Application) -> None:
    abuse.register(app)  # groups -20 (flood) and -15 (groups): before anything else runs
    tracking.register(app)  # group -10: know the user and their language before anything else
    # group -7: a command other than /annulla leaves a staff flow left open (bot.flows)
    app.add_handler(TypeHandler(Update, flows.leave_on_command), group=flows.LEAVE_GROUP)
    # Group 0's first: what nothing else takes, so the commonest updates are not matched
    # against every command and conversation first: /start, the main menu's buttons, and
    # plain text and a shared position from someone in no staff flow.
    core.register_first(app)
    menu.register(app)
    questions.register_first(app)
    labs.register_first(app)
    scuola.register(app)  # group -1: an open sign-up form takes its answers before any feature
    labedit.register(app)  # conversations first: while one is open, it takes its messages
    scuola.register_staff(app)
    announce.register(app)
    events.register_editor(app)
    roles.register(app)
    coordinators.register(app)
    proposals.register(app)  # and group -8: an open proposal form takes what is typed
    core.register(app)
    labs.register(app)
    notifications.register(app)
    events.register(app)
    staff.register(app)
    stats.register(app)
    privacy.register(app)
    questions.register(app)  # free text that no command or conversation took
    fallback.register(app)  # last in group 0: whatever nobody else handled
    errors.register(app)
