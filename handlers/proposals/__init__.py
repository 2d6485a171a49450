"""Citizens take part: proposals to a lab or to the whole network. One module per seam:

- `propose`: the form ("💡 Proponi un'idea", /proponi), kept in the database at every step;
- `moderate`: nothing is public before a coordinator of its lab (or staff) publishes it;
- `answer`: answers with a state, told once to the author, supporters and followers;
- `offers`: "🤝 Dai una mano", privately to a lab's coordinators, replied with one tap;
- `read`: the published ones (/proposte, "💡 Proposte (N)" on a lab's card), each with its
  card, "👍 Sostengo" and "🔔 Seguila", and a link to share (`?start=prop_<id>`).

Public buttons are `prop:v1:<action>[:<arg>]` (`bot.protocols.PROPOSALS`), the moderators'
`propmod:v1:<action>:<id>`.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, TypeHandler

from bot.context import BotData, CommandSpec
from handlers.proposals import answer, moderate, offers, propose, read
from handlers.proposals.common import FLOW
from handlers.proposals.moderate import MOD


def register(app: Application) -> None:
    data: BotData = app.bot_data
    data.commands += [
        CommandSpec("proponi", "cmd.proponi", order=40),
        CommandSpec("proposte", "cmd.proposte", order=41),
    ]
    # group -8: the typed steps of an open form, ahead of the toolkit's leave_on_command
    app.add_handler(TypeHandler(Update, propose.steps), group=propose.GROUP)
    app.add_handler(CommandHandler(["proponi", "propose"], propose.command))
    app.add_handler(CommandHandler(["proposte", "proposals"], read.command))
    app.add_handler(FLOW.handler())
    # The moderators' flow: publish, reject with a reason, correct a title, answer.
    app.add_handler(
        MOD.conversation(
            app, entry_points=[MOD.handler()], states={**moderate.states(), **answer.states()}
        )
    )
    moderate.register(app)
    offers.register(app)
    data.menu_actions["propose"] = propose.from_menu
    data.deep_links["proponi"] = propose.from_link
    data.deep_links[read.LINK_PREFIX] = read.from_link

    async def start(_data: BotData) -> None:
        await propose.load_drafts(app)
        answer.deliver_at_start(app)

    data.startup.append(start)

    async def erased(data: BotData, user_id: int) -> None:
        """A person erased their data: their form is gone (the database row went with the
        rest), and the cards' counts follow the proposals that went."""
        if data.open_flows.get(user_id) in (FLOW.feature, MOD.feature, offers.FLOW.feature):
            del data.open_flows[user_id]
        await moderate.refresh_counts(data)

    data.after_erasure.append(erased)
