"""Events: the public listing (/eventi, calendar files, maps; `listing`) and the editor staff
and a lab's coordinators plan them with (/evento; `editor`). One feature along its two seams:
the editor describes an event as the listing shows it."""

from __future__ import annotations

from telegram.ext import Application

from handlers.events import editor, listing


def register(app: Application) -> None:
    listing.register(app)


def register_editor(app: Application) -> None:
    """A conversation: registered early, so that while it is open it takes its messages."""
    editor.register(app)
