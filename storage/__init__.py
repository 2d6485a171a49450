"""Repositories over the bot's SQLite database: explicit SQL in, dataclasses out."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database, DatabaseError
from storage.users import User, UsersRepo

__all__ = ["Database", "DatabaseError", "Repos", "User", "UsersRepo"]


@dataclass(frozen=True)
class Repos:
    """Every repository over one database; handlers reach them as `context.repo.<name>`."""

    db: Database
    users: UsersRepo

    @classmethod
    def over(cls, db: Database) -> Repos:
        return cls(db=db, users=UsersRepo(db))
