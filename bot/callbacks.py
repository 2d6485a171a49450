"""Callback data: a tiny versioned protocol, `"<feature>:v1:<action>[:<arg>...]"`.

Each feature builds and parses its buttons here, so a button from an older version of the bot (or a
forged one) is recognised as stale instead of being misread. Telegram allows 1 to 64 bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "v1"
MAX_BYTES = 64
_PART = re.compile(r"^[A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class Callback:
    feature: str
    action: str
    args: tuple[str, ...]


def pack(feature: str, action: str, *args: object) -> str:
    parts = [feature, VERSION, action, *(str(a) for a in args)]
    for part in parts:
        if not _PART.match(part):
            raise ValueError(f"callback part {part!r} has characters outside [A-Za-z0-9_.-]")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def parse(data: str | None, feature: str) -> Callback | None:
    """The callback if it belongs to `feature` in the current version, else None (stale)."""
    if not data:
        return None
    parts = data.split(":")
    if len(parts) < 3 or parts[0] != feature or parts[1] != VERSION:
        return None
    return Callback(feature=parts[0], action=parts[2], args=tuple(parts[3:]))


def pattern(feature: str) -> str:
    """Regex for a CallbackQueryHandler: any version, so stale ones reach the feature too."""
    return rf"^{re.escape(feature)}:"
