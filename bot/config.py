"""Configuration: `config.toml` overlaid with `LABBOT_<SECTION>_<KEY>` environment variables.

The schema is the set of frozen dataclasses below; every field has an embedded default, so the bot
runs with no file at all (the local sandbox). Loading never raises on bad values: it collects every
problem as `source: [section] key: what is wrong` and `ConfigError` carries the whole list, so a
staff member fixes them all in one go.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ENV_PREFIX = "LABBOT_"
TOKEN_ENV = "BOT_TOKEN"
CONFIG_ENV = "LABBOT_CONFIG"
DEFAULT_CONFIG_PATH = Path("config.toml")
PROJECT_DATA = Path(__file__).resolve().parent.parent / "data"

# Keys that must never come from a committed file.
SECRET_KEYS = {("telegram", "token"), ("telegram", "webhook_secret"), ("smtp", "password")}


@dataclass(frozen=True)
class TelegramConfig:
    token: str = field(default="", repr=False)
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    staff_ids: tuple[int, ...] = ()
    admin_ids: tuple[int, ...] = ()  # staff who may also add and remove staff from the chat
    staff_chat_id: int = 0
    mode: str = "polling"
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str = field(default="", repr=False)
    rate_limit: bool = True

    @property
    def has_token(self) -> bool:
        return bool(self.token)


@dataclass(frozen=True)
class NetworkConfig:
    contact_email: str = "info@csf.pv.it"


@dataclass(frozen=True)
class SmtpConfig:
    host: str = ""  # empty: no mail server; e-mails are written as .eml files in outbox_dir
    port: int = 587
    security: str = "starttls"
    user: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""
    recipient: str = "info@csf.pv.it"
    timeout: int = 30
    max_attempts: int = 8
    outbox_dir: Path = Path("var/outbox")

    @property
    def enabled(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class RemindersConfig:
    # Before each event: days count on the local calendar (same time of day), hours are exact.
    offsets: tuple[str, ...] = ("7d", "1d", "2h")


@dataclass(frozen=True)
class BroadcastConfig:
    # Announcements and change notices: at most this many messages a second (Telegram allows
    # about 30 in total) and a gap between two to one chat. With `[telegram] rate_limit` (the
    # default) every message also shares the send budget (`bot.budget`, about 28 a second,
    # replies to people chatting first), which then sets the pace: a lower number here only
    # sends more gently. (Below the budget's pace, it would leave the budget's capacity unused:
    # 25 here gave 24.4 messages a second.)
    messages_per_second: int = 30
    seconds_per_chat: int = 1


@dataclass(frozen=True)
class AbuseConfig:
    # One person sending more than `flood_updates` messages or taps in `flood_seconds` gets one
    # polite message; what they send in the next `pause_seconds` is ignored. 0 turns it off.
    flood_updates: int = 20
    flood_seconds: int = 10
    pause_seconds: int = 60


@dataclass(frozen=True)
class PrivacyConfig:
    # Who is responsible for the data (the GDPR "titolare del trattamento") and how to reach them.
    controller: str = "Rete dei Laboratori Sociali di Pavia (progetto Fare #BeneComune)"
    contact: str = "info@csf.pv.it"
    # How long data is kept. Sign-ups: months after the last session of their edition (then
    # only anonymised counts stay). Unanswered questions' text: days. Records of messages and
    # e-mails sent, abandoned forms, who came to past events: days. People who have nothing
    # else stored and have not written for this many months are forgotten.
    signups_months: int = 24
    questions_days: int = 90
    messages_days: int = 60
    inactive_months: int = 24


@dataclass(frozen=True)
class StorageConfig:
    path: Path = Path("var/labbot.sqlite3")
    # The folder with labs.toml and places.toml; the project's own data/ unless set.
    data_dir: Path = PROJECT_DATA
    # The bot's log: empty for standard error (a service manager's journal), or a file, started
    # afresh each midnight and kept `[privacy] messages_days` days.
    log_file: str = ""


@dataclass(frozen=True)
class SchedulerConfig:
    timezone: str = "Europe/Rome"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Config:
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    broadcast: BroadcastConfig = field(default_factory=BroadcastConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    abuse: AbuseConfig = field(default_factory=AbuseConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    source: str = "defaults"

    def secrets(self) -> list[str]:
        """Values that must be redacted from every log line."""
        secrets = (self.telegram.token, self.telegram.webhook_secret, self.smtp.password)
        return [s for s in secrets if s]


class ConfigError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# --- value conversion -------------------------------------------------------------------------


class _Invalid(ValueError):
    pass


def _convert(value: Any, kind: Any, from_env: bool) -> Any:
    """Convert a TOML or environment value to the field's declared type."""
    origin = typing.get_origin(kind)
    if kind is bool:
        if from_env:
            lowered = value.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise _Invalid("must be true or false")
        if not isinstance(value, bool):
            raise _Invalid("must be true or false")
        return value
    if kind is int:
        if from_env:
            try:
                return int(value.strip())
            except ValueError:
                raise _Invalid("must be a whole number") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid("must be a whole number")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise _Invalid("must be text in quotes")
        return value
    if kind is Path:
        if not isinstance(value, str) or not value.strip():
            raise _Invalid("must be a file path in quotes")
        return Path(value)
    if origin is tuple:
        (item_kind, _ellipsis) = typing.get_args(kind)
        if from_env:
            items: list[Any] = [p for p in (s.strip() for s in value.split(",")) if p]
        elif isinstance(value, list):
            items = value
        else:
            raise _Invalid("must be a list, for example [1, 2]")
        try:
            return tuple(_convert(item, item_kind, from_env) for item in items)
        except _Invalid as exc:
            raise _Invalid(f"must be a list, and one of its items {exc}") from None
    raise TypeError(f"unsupported config type {kind!r}")  # a programming error, not a user one


# --- validation rules per key -------------------------------------------------------------------


def _check_url(value: str) -> str | None:
    if not value.startswith(("http://", "https://")):
        return "must start with http:// or https://"
    return None


def _check_mode(value: str) -> str | None:
    return None if value in {"polling", "webhook"} else 'must be "polling" or "webhook"'


def _check_port(value: int) -> str | None:
    return None if 1 <= value <= 65535 else "must be a port number between 1 and 65535"


def _check_ids(value: tuple[int, ...]) -> str | None:
    return None if all(v > 0 for v in value) else "user ids are positive numbers"


def _check_email(value: str) -> str | None:
    local, _, domain = value.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in value):
        return "must be an e-mail address such as info@csf.pv.it"
    return None


def _check_tz(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (for example Europe/Rome)"
    return None


def _check_token(value: str) -> str | None:
    if value and (":" not in value or any(c.isspace() for c in value)):
        return "does not look like a bot token from @BotFather (digits:letters)"
    return None


RULES: dict[tuple[str, str], Callable[[Any], str | None]] = {
    ("telegram", "token"): _check_token,
    ("telegram", "base_url"): _check_url,
    ("telegram", "base_file_url"): _check_url,
    ("telegram", "staff_ids"): _check_ids,
    ("telegram", "admin_ids"): _check_ids,
    ("telegram", "mode"): _check_mode,
    ("telegram", "webhook_port"): _check_port,
    ("scheduler", "timezone"): _check_tz,
    ("network", "contact_email"): _check_email,
    ("smtp", "recipient"): _check_email,
    ("abuse", "flood_updates"): lambda v: None if 0 <= v <= 1000 else "between 0 (off) and 1000",
    ("abuse", "flood_seconds"): lambda v: None if 1 <= v <= 3600 else "between 1 and 3600",
    ("abuse", "pause_seconds"): lambda v: None if 1 <= v <= 86400 else "between 1 and 86400",
    ("privacy", "contact"): _check_email,
    ("privacy", "controller"): lambda v: None if v else "must name who is responsible for the data",
    ("privacy", "signups_months"): lambda v: None if 1 <= v <= 120 else "between 1 and 120",
    ("privacy", "questions_days"): lambda v: None if 1 <= v <= 3650 else "between 1 and 3650",
    ("privacy", "messages_days"): lambda v: None if 1 <= v <= 3650 else "between 1 and 3650",
    ("privacy", "inactive_months"): lambda v: None if 1 <= v <= 120 else "between 1 and 120",
    ("reminders", "offsets"): lambda v: (
        None
        if all(re.match(r"^[1-9][0-9]{0,2}[dhm]$", o) for o in v)
        else "each offset is a number and d, h or m, for example 7d, 1d, 2h"
    ),
    ("broadcast", "messages_per_second"): lambda v: (
        None if 1 <= v <= 30 else "must be between 1 and 30 (Telegram's limit is about 30)"
    ),
    ("broadcast", "seconds_per_chat"): lambda v: (
        None if 1 <= v <= 60 else "must be between 1 and 60"
    ),
    ("smtp", "port"): _check_port,
    ("smtp", "security"): lambda v: (
        None if v in {"starttls", "tls", "none"} else 'must be "starttls", "tls" or "none"'
    ),
    ("smtp", "timeout"): lambda v: None if 1 <= v <= 600 else "must be between 1 and 600 seconds",
    ("smtp", "max_attempts"): lambda v: None if 1 <= v <= 100 else "must be between 1 and 100",
}


def _sections() -> dict[str, type]:
    hints = typing.get_type_hints(Config)
    return {f.name: hints[f.name] for f in dataclasses.fields(Config) if f.name != "source"}


def env_name(section: str, key: str) -> str:
    return f"{ENV_PREFIX}{section.upper()}_{key.upper()}"


def schema() -> list[tuple[str, str, Any, Any]]:
    """Every (section, key, type, default), in declaration order: for docs and tests."""
    rows = []
    for section, cls in _sections().items():
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = f.default
            rows.append((section, f.name, hints[f.name], default))
    return rows


def load(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Load, overlay and validate. Raises ConfigError listing every problem."""
    environ = os.environ if environ is None else environ
    env_path = environ.get(CONFIG_ENV) or None
    explicit = path is not None or env_path is not None
    path = path or Path(env_path or DEFAULT_CONFIG_PATH)
    label = str(path)
    problems: list[str] = []
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"{label}: not valid TOML: {exc}"]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError([f"{label}: cannot be read: {exc}"]) from None
    elif explicit:
        raise ConfigError([f"{label}: file not found"])

    sections = _sections()
    for section in raw:
        if section not in sections:
            problems.append(f"{label}: [{section}]: unknown section")
        elif not isinstance(raw[section], dict):
            problems.append(f"{label}: {section}: must be a [section] table")

    built: dict[str, Any] = {}
    for section, cls in sections.items():
        table = raw.get(section, {})
        table = table if isinstance(table, dict) else {}
        hints = typing.get_type_hints(cls)
        names = {f.name for f in dataclasses.fields(cls)}
        for key in table:
            if key not in names:
                problems.append(f"{label}: [{section}] {key}: unknown key")
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            kind = hints[f.name]
            candidates: list[tuple[str, Any, bool]] = []
            if f.name in table:
                if (section, f.name) in SECRET_KEYS and table[f.name]:
                    problems.append(
                        f"{label}: [{section}] {f.name}: secrets do not belong in a file; "
                        f"set the environment variable {env_name(section, f.name)} instead"
                    )
                else:
                    candidates.append((f"{label}: [{section}] {f.name}", table[f.name], False))
            env_keys = [env_name(section, f.name)]
            if (section, f.name) == ("telegram", "token"):
                env_keys.insert(0, TOKEN_ENV)
            for env_key in reversed(env_keys):  # BOT_TOKEN wins over LABBOT_TELEGRAM_TOKEN
                if env_key in environ:
                    candidates.append((f"{env_key}: [{section}] {f.name}", environ[env_key], True))
            for where, value, from_env in candidates:
                try:
                    converted = _convert(value, kind, from_env)
                except _Invalid as exc:
                    problems.append(f"{where}: {exc}")
                    continue
                if isinstance(converted, str):
                    converted = converted.strip()
                rule = RULES.get((section, f.name))
                message = rule(converted) if rule else None
                if message:
                    problems.append(f"{where}: {message}")
                    continue
                values[f.name] = converted
        built[section] = cls(**values)

    telegram: TelegramConfig = built["telegram"]
    if telegram.mode == "webhook" and not telegram.webhook_url:
        problems.append(
            f'{label}: [telegram] webhook_url: required when mode is "webhook" '
            "(the public https address Telegram calls)"
        )
    smtp: SmtpConfig = built["smtp"]
    if smtp.host and "@" not in smtp.sender:
        problems.append(
            f"{label}: [smtp] sender: required when host is set "
            '(for example "Laboratori Sociali <bot@example.org>")'
        )
    if problems:
        raise ConfigError(problems)
    return Config(**built, source=label if path.exists() else "defaults")
