"""Typed dependencies: what every handler reaches through `context`."""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.asked import Asked
from bot.broadcast import Broadcaster
from bot.clock import Clock
from bot.config import Config
from bot.directory import LabsState
from bot.flood import FloodGuard
from bot.i18n import DEFAULT_LANGUAGE, Catalog, Html, language_for, number
from bot.mail import Outbox
from bot.people import People
from domain.events import Event
from domain.scuola import Draft, Edition
from storage import Repos
from storage.scuola import Signup

# The facts of a card whose freshness is tracked, and the edit fields that change each.

DeepLinkHandler = Callable[[Update, "Ctx", str], Awaitable[None]]
MenuAction = Callable[[Update, "Ctx"], Awaitable[None]]
PromotedNotice = Callable[["Ctx", "Signup", "Edition"], Awaitable[None]]
StartupHook = Callable[["BotData"], Awaitable[None]]
# Checks a data file (raising DataError) and returns the step that puts it in service.
Apply = Callable[[], Awaitable[None]]  # a checked change, put in service when awaited
Reloader = Callable[["BotData"], Awaitable[Apply]]


@dataclass(frozen=True)
class CommandSpec:
    """A command for Telegram's menu; `staff` ones appear only in staff members' chats."""

    name: str
    text_key: str
    staff: bool = False
    coordinators: bool = False  # a staff command a lab's coordinators use too, for their labs
    order: int = 50  # position in the menu: start first, help and cancel last


class Registry:
    """What the features register once, while the application is built (`register(app)`), and
    never change afterwards: their deep links, commands, menu items, hooks and startup steps."""

    def __init__(self) -> None:
        self.deep_links: dict[str, DeepLinkHandler] = {}
        self.commands: list[CommandSpec] = []
        self.menu_actions: dict[str, MenuAction] = {}  # main-menu items a feature owns
        self.first_offers: list[MenuAction] = []  # after the welcome, to someone new
        # Told to a person whose place came free (the Scuola's; a person's erasure frees one).
        self.promoted_notice: PromotedNotice | None = None
        self.startup: list[StartupHook] = []  # run once the database is open
        # Run after a person's data is erased (handlers/privacy), with their id: what a feature
        # keeps in memory about them, or counts over their rows, follows.
        self.after_erasure: list[Callable[[BotData, int], Awaitable[None]]] = []
        self.reloaders: list[Reloader] = []  # /ricarica: check a data file, then apply it
        # Updates that must not start a record of someone unknown (privacy requests).
        self.quiet: list[Callable[[object], bool]] = []


class Services:
    """What the composition root builds (`build_application`) and opens at start
    (`LabApplication.initialize`): features use them, never build them."""

    config: Config
    texts: Catalog
    clock: Clock
    repo: Repos
    started_at: datetime
    outbox: Outbox
    broadcaster: Broadcaster
    flood_guard: FloodGuard
    people: People
    asked: Asked
    labs: LabsState  # the directory in service (bot/directory.py)

    def __init__(self) -> None:
        self.repo = None  # type: ignore[assignment]  # opened by LabApplication.initialize
        self.labs = LabsState()


class State:
    """What changes while the bot runs, kept for the whole application (per person or chat
    data is PTB's `user_data`/`chat_data`); what must outlive a restart is mirrored in the
    database."""

    def __init__(self) -> None:
        # user id -> the feature of the person's open staff flow (one at a time); bot/flows.py
        self.open_flows: dict[int, str] = {}
        self.drafts: dict[int, Draft] = {}  # Scuola forms in progress, mirrored in the database
        self.chat_staff: frozenset[int] = frozenset()  # added with /staff, mirrored in the database
        # Who coordinates which lab (lab id -> user ids), mirrored in the database.
        self.coordinators: dict[str, frozenset[int]] = {}
        self.last_error: str | None = None
        # The updates whose error was reported (the latest few): one report, one alert each.
        self.errors_reported: deque[int] = deque(maxlen=256)
        self.closing = False  # the bot is stopping: background work gives back what it holds
        # Published proposals in sight per lab ('' the network's), for the cards' "💡 Proposte
        # (N)" without a query; kept by handlers/proposals.
        self.proposal_counts: dict[str, int] = {}
        self.known_commands: frozenset[str] | None = None  # found once, for the group guard
        # Keyboards that depend only on the language (the main menu, the notifications offer):
        # built once per language; PTB's objects are immutable, so one serves every reply.
        self.keyboards: dict[tuple[str, str], InlineKeyboardMarkup] = {}


class BotData(Registry, Services, State):
    """The application's data, in three kinds: what features register once (`Registry`), the
    services built at start (`Services`) and the state that changes while the bot runs
    (`State`). PTB creates it empty; `build_application` and `LabApplication.initialize` fill
    it. A service that needs part of it says which part (`bot.broadcast.Sources`)."""

    def __init__(self) -> None:
        Registry.__init__(self)
        Services.__init__(self)
        State.__init__(self)

    @property
    def admin_ids(self) -> frozenset[int]:
        return frozenset(self.config.telegram.admin_ids)

    @property
    def config_staff(self) -> frozenset[int]:
        """Staff named in config.toml (administrators are staff too)."""
        return frozenset(self.config.telegram.staff_ids) | self.admin_ids

    @property
    def staff_ids(self) -> frozenset[int]:
        return self.config_staff | self.chat_staff

    def coordinates(self, lab_id: str | None, user_id: int | None) -> bool:
        """Whether the person coordinates the lab."""
        return lab_id is not None and user_id in self.coordinators.get(lab_id, ())

    async def write_behind(self) -> int:
        """Write now what is kept in memory for a moment (`bot.people`: who was seen when;
        `bot.asked`: what was asked), as the job does every second: before reading it, and at
        stop. Returns how many rows."""
        return await self.people.flush() + await self.asked.flush()


# The bot's `rate_limit_args` are str (`bot.budget.BULK`), taken when the send budget is on.
class Ctx(CallbackContext[ExtBot[str], dict, dict, BotData]):
    """`context` in every handler: `context.repo.users`, `context.t("key")`, ..."""

    def __init__(
        self,
        application: Application,
        chat_id: int | None = None,
        user_id: int | None = None,
    ):
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.lang: str = DEFAULT_LANGUAGE
        self.first_contact = False  # set by the user tracker on a person's very first update

    @property
    def data(self) -> BotData:
        return self.bot_data

    @property
    def repo(self) -> Repos:
        return self.bot_data.repo

    @property
    def config(self) -> Config:
        return self.bot_data.config

    @property
    def outbox(self) -> Outbox:
        return self.bot_data.outbox

    @property
    def people(self) -> People:
        """Who the bot knows, their language, written behind (`bot.people`)."""
        return self.bot_data.people

    @property
    def broadcaster(self) -> Broadcaster:
        return self.bot_data.broadcaster

    @property
    def flood_guard(self) -> FloodGuard:
        return self.bot_data.flood_guard

    @property
    def contact_email(self) -> str:
        """The network's address, offered wherever the bot cannot help further."""
        return self.bot_data.config.network.contact_email

    def now(self) -> datetime:
        return self.bot_data.clock.now()

    def t(self, key: str, **values: object) -> str:
        """A text in the user's language, as Telegram HTML, values escaped."""
        return self.bot_data.texts.text(self.lang, key, **values)

    def keyboard(
        self, name: str, build: Callable[[], InlineKeyboardMarkup]
    ) -> InlineKeyboardMarkup:
        """The keyboard `name` in the user's language, built by `build` the first time."""
        key = (name, self.lang)
        markup = self.bot_data.keyboards.get(key)
        if markup is None:
            markup = self.bot_data.keyboards[key] = build()
        return markup

    def label(self, key: str, **values: object) -> str:
        """A plain text (button labels, alerts) in the user's language."""
        return self.bot_data.texts.plain(self.lang, key, **values)

    def number(self, value: int) -> str:
        """A count formatted for the user's language."""
        return number(value, self.lang)

    def count(self, key: str, value: int) -> Html:
        """A count with its noun in the right form ("1 giorno", "30 giorni"), to fill into
        another text."""
        return Html(self.t(key, count=value))

    def is_staff(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.bot_data.staff_ids

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.bot_data.admin_ids

    @property
    def user_id(self) -> int | None:
        """The person this update (or job) is about, if any."""
        return self._user_id

    @property
    def in_private(self) -> bool:
        """Whether this update comes from a private chat with the bot (a private chat's id is
        the person's own): staff tools and anything personal are shown only there."""
        return self._chat_id is not None and self._chat_id == self._user_id

    @property
    def is_staff_user(self) -> bool:
        """Whether the person this update comes from is staff."""
        return self.is_staff(self._user_id)

    def coordinates(self, lab_id: str | None, user_id: int | None = None) -> bool:
        """Whether the person (this update's, unless given) coordinates the lab."""
        who = self._user_id if user_id is None else user_id
        return self.bot_data.coordinates(lab_id, who)

    def coordinated_labs(self, user_id: int | None = None) -> list[str]:
        who = self._user_id if user_id is None else user_id
        return [lab for lab, people in self.bot_data.coordinators.items() if who in people]

    def may_edit_lab(self, lab_id: str | None) -> bool:
        """Staff edit every lab; a coordinator, the labs they coordinate."""
        return self.is_staff(self._user_id) or self.coordinates(lab_id)

    def may_edit_event(self, event: Event) -> bool:
        """Staff edit every event; a coordinator, the events made for their lab from its card:
        not an Assemblea, nor a staff event merely held there (where it is, is not whose)."""
        if self.is_staff(self._user_id):
            return True
        return event.kind != "assemblea" and bool(event.for_lab) and self.coordinates(event.for_lab)

    def guess_language(self, update: object) -> None:
        """Set `lang` from Telegram's hint when the user tracker has not run (errors, jobs)."""
        if isinstance(update, Update) and update.effective_user:
            self.lang = language_for(update.effective_user.language_code)
