"""Find a lab: the list, the lab cards, nearest labs by location or place, inline mode, deep links,
QR codes and posters; the lab directory is loaded at start and on /ricarica (`bot.directory`).
The cards and the answers about labs are `bot.labview`'s, shared with the questions and the
editors. Along its seams: `browse` (commands, positions, buttons, deep links), `inline`,
`posters`.

Callback data `lab:v1:<action>[:<arg>]` (`bot.protocols.LAB`):
    list            edit the message into the list of labs
    open:<id>       edit the message into that lab's card, with "back" (browsing)
    card:<id>       send the card as a new message, then its venue (from search results)
    map:<id>        send the venue
    near:<place>    send the nearest labs to a place (answer to "did you mean")
    loc             ask for the location (reply keyboard)
    follow:<id>     follow the lab's news, or stop
    hours:<id>:<yyyymmdd>  that day's hours (after a weekday that did not match its number)
    qr:<id>         staff, and the lab's coordinators: the QR code of the lab's deep link and
                    its printable poster
    qr-scuola       staff: the same for the Scuola (?start=scuola)
    qr-rete         staff: the same for the network (the bot's plain link)
"""

from __future__ import annotations

from telegram.ext import (
    Application,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
)

from bot import directory, labview, protocols
from bot.context import BotData, CommandSpec
from handlers.labs import browse, inline, posters

register_first = browse.register_first


def register(app: Application) -> None:
    data: BotData = app.bot_data
    data.startup.append(directory.load_directory)
    data.reloaders.append(directory.prepare_directory)
    data.menu_actions["labs"] = labview.ask_location
    data.deep_links["lab_"] = browse.lab_link
    data.deep_links["laboratori"] = browse.list_link
    data.deep_links["vicino"] = browse.near_link
    data.commands.extend(
        [
            CommandSpec("laboratori", "cmd.laboratori", order=10),
            CommandSpec("vicino", "cmd.vicino", order=11),
            CommandSpec("qr", "cmd.qr", staff=True, coordinators=True),
        ]
    )
    app.add_handler(CommandHandler(["laboratori", "labs"], browse.list_command))
    app.add_handler(CommandHandler(["vicino", "near"], browse.near_command))
    app.add_handler(CommandHandler("qr", posters.qr_command))
    app.add_handler(MessageHandler(browse.SHARED_POSITION, browse.on_location))
    app.add_handler(protocols.LAB.handler())  # the card's buttons (browse) and /qr's (posters)
    app.add_handler(InlineQueryHandler(inline.inline_query))
