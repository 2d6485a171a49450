"""The lab directory in service, as a service: the data files read and checked, the staff's and
coordinators' edits on top (`LabsState`, in `BotData.labs`), its matcher, and when each fact of
each lab was last changed or confirmed in the chat. The labs feature loads it at start and on
/ricarica; the editors re-apply the edits after each change; /dati reads the facts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from domain import directory as directory_module
from domain.directory import Directory, Lab, LabEdit
from domain.understanding import Matcher

if TYPE_CHECKING:
    from bot.context import BotData

FACTS = ("address", "position", "activities", "hours", "contacts", "organisation")
FACT_OF = {fact: fact for fact in FACTS} | {"schedule": "hours"}


class LabsState:
    """The directory in service: the data files, staff edits on top, and its matcher; and when
    each fact of each lab was last changed or confirmed in the chat."""

    base: Directory
    current: Directory
    matcher: Matcher
    confirmed: dict[str, dict[str, datetime]]  # lab id -> fact -> last change or confirmation

    def set(
        self, base: Directory, edits: list[LabEdit], times: list[datetime] | None = None
    ) -> None:
        self.base = base
        self.refresh(edits, times)

    def refresh(self, edits: list[LabEdit], times: list[datetime] | None = None) -> None:
        self.current = self.base.with_edits(edits)
        self.matcher = Matcher(self.current)
        self.confirmed = {}
        for edit, moment in zip(edits, times or [], strict=False):
            facts = self.confirmed.setdefault(edit.lab_id, {})
            for fact in FACTS if edit.field == "confirmed" else (FACT_OF.get(edit.field),):
                if fact is not None:
                    facts[fact] = moment

    def updated(self, lab_id: str) -> datetime | None:
        """When the lab's card was last changed or confirmed in the chat."""
        return max(self.confirmed.get(lab_id, {}).values(), default=None)


def facts_of(lab: Lab) -> dict[str, bool]:
    """Each fact of a card, and whether the card has it."""
    return {
        "address": bool(lab.address),
        "position": lab.located,
        "activities": bool(lab.activities),
        "hours": bool(lab.hours) or (lab.schedule is not None and not lab.schedule.empty),
        "contacts": bool(lab.contacts),
        "organisation": bool(lab.organisation),
    }


async def prepare_directory(data: BotData) -> Callable[[], Awaitable[None]]:
    """Read and check the lab data files (raises DataError); the returned step puts them in
    service, with the staff's edits on top."""
    base = directory_module.load(data.config.storage.data_dir)

    async def apply() -> None:
        records = await data.repo.lab_edits.all()
        data.labs.set(base, [r.edit for r in records], [r.changed_at for r in records])

    return apply


async def reapply_edits(data: BotData) -> None:
    """After an edit in the chat: the directory in service with every edit on top."""
    records = await data.repo.lab_edits.all()
    data.labs.refresh([r.edit for r in records], [r.changed_at for r in records])


async def load_directory(data: BotData) -> None:
    await (await prepare_directory(data))()
