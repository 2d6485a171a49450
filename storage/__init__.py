"""Repositories over the bot's SQLite database: explicit SQL in, dataclasses out."""

from __future__ import annotations

from dataclasses import dataclass

from storage.announcements import AnnouncementsRepo
from storage.coordinators import CoordinatorsRepo
from storage.db import Database, DatabaseError
from storage.events import (
    AttendancesRepo,
    DeliveriesRepo,
    EventsRepo,
    OptoutsRepo,
    RemindersRepo,
)
from storage.labs import LabEditsRepo, QuestionsRepo
from storage.outbox import OutboxRepo
from storage.privacy import PrivacyRepo
from storage.proposals import AnswersRepo, OffersRepo, ProposalsRepo
from storage.scuola import DraftsRepo, EditionsRepo, SignupsRepo, SubscriptionsRepo
from storage.staff import StaffRepo
from storage.stats import StatsRepo
from storage.users import User, UsersRepo

__all__ = [
    "Database",
    "DatabaseError",
    "LabEditsRepo",
    "QuestionsRepo",
    "Repos",
    "User",
    "UsersRepo",
]


@dataclass(frozen=True)
class Repos:
    """Every repository over one database; handlers reach them as `context.repo.<name>`."""

    db: Database
    users: UsersRepo
    lab_edits: LabEditsRepo
    questions: QuestionsRepo
    editions: EditionsRepo
    signups: SignupsRepo
    drafts: DraftsRepo
    outbox: OutboxRepo
    subscriptions: SubscriptionsRepo
    events: EventsRepo
    attendances: AttendancesRepo
    optouts: OptoutsRepo
    reminders: RemindersRepo
    deliveries: DeliveriesRepo
    announcements: AnnouncementsRepo
    staff: StaffRepo
    coordinators: CoordinatorsRepo
    privacy: PrivacyRepo
    stats: StatsRepo
    proposals: ProposalsRepo
    answers: AnswersRepo
    offers: OffersRepo

    @classmethod
    def over(cls, db: Database) -> Repos:
        return cls(
            db=db,
            users=UsersRepo(db),
            lab_edits=LabEditsRepo(db),
            questions=QuestionsRepo(db),
            editions=EditionsRepo(db),
            signups=SignupsRepo(db),
            drafts=DraftsRepo(db),
            outbox=OutboxRepo(db),
            subscriptions=SubscriptionsRepo(db),
            events=EventsRepo(db),
            attendances=AttendancesRepo(db),
            optouts=OptoutsRepo(db),
            reminders=RemindersRepo(db),
            deliveries=DeliveriesRepo(db),
            announcements=AnnouncementsRepo(db),
            staff=StaffRepo(db),
            coordinators=CoordinatorsRepo(db),
            privacy=PrivacyRepo(db),
            stats=StatsRepo(db),
            proposals=ProposalsRepo(db),
            answers=AnswersRepo(db),
            offers=OffersRepo(db),
        )
