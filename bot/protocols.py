"""Every callback protocol that more than one part of the bot builds buttons for, declared once.

The feature named by a prefix handles its buttons; any other part that offers one of them (a
lab's card offering its editor, a reminder offering the event's calendar file) asks for it
here instead of spelling the feature's string, so a renamed prefix or action cannot go out of
step. A feature's own flow takes its prefix from here too (`Flow(protocols.LAB_EDIT.feature,
...)`).
"""

from __future__ import annotations

from bot.callbacks import Buttons

LAB = Buttons("lab")  # handlers/labs: cards, lists, the nearest, posters
LAB_EDIT = Buttons("labedit")  # handlers/labedit: a lab's editor (staff, its coordinators)
EVENT = Buttons("ev")  # handlers/events: an event's calendar file, map, reminders to stop
EVENT_EDIT = Buttons("evedit")  # handlers/events/editor: plan, move, cancel an event
ANNOUNCE = Buttons("annuncio")  # handlers/announce: write to the network or a lab's followers
SENDING = Buttons("ann")  # handlers/announce: stop a sending, opt out (on what bot/broadcast sends)
COORD = Buttons("coord")  # handlers/coordinators: who runs a lab
MENU = Buttons("menu")  # handlers/menu: the main menu
SCUOLA = Buttons("scuola")  # handlers/scuola: editions, sign-ups
PROPOSALS = Buttons("prop")  # handlers/proposals: propose, moderate, read, support
OFFERS = Buttons("offer")  # handlers/proposals/offers: offer a hand to a lab
