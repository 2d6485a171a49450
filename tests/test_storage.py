"""The database: migrations, refusal of newer schemas, clear errors, the users repository, and the
one transaction that stores a sign-up with its e-mail."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from domain.scuola import Draft, Edition
from storage import Database, DatabaseError, Repos, UsersRepo
from storage.migrations import MIGRATIONS, SCHEMA_VERSION
from storage.outbox import NewMail
from storage.users import Seen
from tests.conftest import STAFF_ID


async def test_a_new_database_is_migrated_with_wal_and_foreign_keys(tmp_path):
    db = await Database.open(tmp_path / "sub" / "bot.sqlite3")
    try:
        assert await db.user_version() == SCHEMA_VERSION == len(MIGRATIONS)
        assert await db.scalar("PRAGMA journal_mode") == "wal"
        assert await db.scalar("PRAGMA foreign_keys") == 1
        # Deleted content is overwritten (some SQLite builds, Debian's among them, do it by
        # default; others do not).
        assert await db.scalar("PRAGMA secure_delete") == 1
        tables = {row[0] for row in await db.fetch_all("SELECT name FROM sqlite_master")}
        assert "users" in tables
    finally:
        await db.close()


async def test_reopening_applies_nothing_twice(tmp_path):
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    now = datetime.now(UTC)
    await UsersRepo(db).seen_many([Seen(1, now, 1, "it", since=now)])
    await db.close()
    db = await Database.open(path)
    try:
        assert await UsersRepo(db).count() == 1
    finally:
        await db.close()


async def test_a_database_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(DatabaseError, match="written by a newer version of the bot"):
        await Database.open(path)
    with sqlite3.connect(path) as conn:  # untouched
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


async def test_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "bot.sqlite3"
    path.write_bytes(b"PK\x03\x04 a zip file, say" * 200)
    with pytest.raises(DatabaseError, match="not a SQLite database"):
        await Database.open(path)


async def test_a_path_that_cannot_be_created(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(DatabaseError, match="cannot create the folder"):
        await Database.open(blocker / "bot.sqlite3")
    (tmp_path / "adir.sqlite3").mkdir()
    with pytest.raises(DatabaseError, match=r"adir\.sqlite3"):
        await Database.open(tmp_path / "adir.sqlite3")


async def test_a_failed_migration_leaves_the_previous_version(tmp_path, monkeypatch):
    path = tmp_path / "bot.sqlite3"
    await (await Database.open(path)).close()  # at the current version
    broken = [*MIGRATIONS, ("CREATE TABLE extra (x)", "THIS IS NOT SQL")]
    monkeypatch.setattr("storage.db.MIGRATIONS", broken)
    monkeypatch.setattr("storage.db.SCHEMA_VERSION", len(broken))
    with pytest.raises(DatabaseError):
        await Database.open(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "extra" not in names  # the whole step was rolled back


async def test_step_7_keeps_the_highest_code_and_mail_id_of_an_existing_database(tmp_path):
    """A database of schema 6 whose highest sign-up code and e-mail id were already deleted
    once: after the upgrade, the numbers go on from the highest still stored, never lower."""
    path = tmp_path / "bot.sqlite3"
    stamp = "2026-11-25T09:30:00+00:00"
    with sqlite3.connect(path) as conn:
        for step in MIGRATIONS[:6]:
            for statement in step:
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 6")
        conn.execute(
            "INSERT INTO editions (id, title, year, created_at) VALUES ('e', 'E', 2026, ?)",
            (stamp,),
        )
        for seq in (1, 5):
            conn.execute(
                "INSERT INTO signups (code, year, seq, edition_id, user_id, first_name, "
                "last_name, email, role, status, consent_at, created_at, updated_at) "
                "VALUES (?, 2026, ?, 'e', ?, 'A', 'B', 'a@b.it', 'altro', 'confirmed', ?, ?, ?)",
                (f"SLS-2026-{seq:04d}", seq, seq, stamp, stamp, stamp),
            )
        for mail_id in (3, 9):
            conn.execute(
                "INSERT INTO outbox (id, message_id, kind, raw, next_attempt_at, created_at) "
                "VALUES (?, ?, 'signup', x'00', ?, ?)",
                (mail_id, f"<{mail_id}@x>", stamp, stamp),
            )
    db = await Database.open(path)
    try:
        repos = Repos.over(db)
        edition = Edition(id="e", title="E", year=2026)
        now = datetime(2026, 11, 25, 10, tzinfo=UTC)
        answers = {"first_name": "C", "last_name": "D", "email": "c@d.it", "role": "altro",
                   "consent_at": now.isoformat()}  # fmt: skip
        await db.execute("DELETE FROM outbox WHERE id = 9")  # the highest id, deleted again
        signup, _ = await repos.signups.create(
            edition, 77, answers, now, lambda s, p: NewMail(f"<{s.code}@x>", "signup", b"x")
        )
        assert signup.code == "SLS-2026-0006"
        assert [m.id for m in await repos.outbox.all()] == [3, 10]
    finally:
        await db.close()


async def test_transactions_roll_back_on_error(tmp_path):
    db = await Database.open(tmp_path / "bot.sqlite3")
    now = datetime.now(UTC).isoformat()
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO users (id, first_seen, last_seen) VALUES (1, ?, ?)", (now, now)
                )
                raise RuntimeError("boom")
        assert await UsersRepo(db).count() == 0
    finally:
        await db.close()


async def test_users_are_tracked(tmp_path):
    db = await Database.open(tmp_path / "bot.sqlite3")
    users = UsersRepo(db)
    t0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    try:
        assert await users.seen_many([Seen(42, t0, 2, "en", since=t0)]) == {42}  # someone new
        user = await users.get(42)
        assert user is not None and user.language == "en" and user.first_seen == t0
        assert await users.seen_many([Seen(7, t0, 1, "en")]) == set()  # unknown: not inserted
        assert await users.get(7) is None
        await users.set_language(42, "it")
        later = t0 + timedelta(hours=1)
        assert await users.seen_many([Seen(42, later, 3, "en")]) == {42}
        user = await users.get(42)
        assert user.language == "it" and user.language_explicit  # the choice sticks
        assert user.last_seen == later and user.first_seen == t0
        assert await users.seen_many([Seen(42, t0, 1, "en", since=t0)]) == {42}  # again: kept
        user = await users.get(42)
        assert user.first_seen == t0 and user.last_seen == later  # never back in time
        await users.set_blocked(42, True, t0)
        assert (await users.get(42)).blocked  # type: ignore[union-attr]
        assert await users.seen_many([Seen(42, t0 + timedelta(days=1), 1, "it")]) == {42}
        assert not (await users.get(42)).blocked  # writing again means it is unblocked
        assert await users.languages() == [(42, "it", True)]
        rows = await db.fetch_all("SELECT interactions FROM users")
        assert [r[0] for r in rows] == [7]
    finally:
        await db.close()


async def test_backup_of_the_live_database_while_the_bot_writes(bot, tmp_path, capsys):
    from bot.__main__ import main

    people = [bot.user() for _ in range(5)]
    for person in people:
        await person.send("/start")
    await bot.people.flush()  # as the write-behind does within a second (`bot.people`)
    config_file = tmp_path / "backup.toml"
    config_file.write_text(f'[storage]\npath = "{bot.repo.db.path}"\n', encoding="utf-8")
    # The bot holds the database open (WAL, uncheckpointed writes): the copy must have them.
    assert main(["backup", str(tmp_path / "one.sqlite3"), "--config", str(config_file)]) == 0
    (tmp_path / "copies").mkdir()
    assert main(["backup", str(tmp_path / "copies"), "--config", str(config_file)]) == 0
    assert "backup OK" in capsys.readouterr().out
    [copy] = (tmp_path / "copies").glob("*.sqlite3")
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 5
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert not list((tmp_path / "copies").glob(".*partial"))
    await people[0].send("/notifiche")  # the bot goes on as if nothing happened
    missing = tmp_path / "nowhere.toml"
    missing.write_text(f'[storage]\npath = "{tmp_path / "none.sqlite3"}"\n', encoding="utf-8")
    assert main(["backup", str(tmp_path / "x.sqlite3"), "--config", str(missing)]) == 2


# --- the one seam between a sign-up and the organisers' e-mail --------------------------------


async def _scuola(tmp_path):
    repos = Repos.over(await Database.open(tmp_path / "bot.sqlite3"))
    now = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    edition = Edition(id="autunno", title="Scuola 2026", year=2026, capacity=1)
    await repos.editions.save(edition, now)
    answers = {"first_name": "Ada", "last_name": "Rossi", "email": "ada@example.org",
               "role": "attivista", "consent_at": now.isoformat()}  # fmt: skip
    for user_id in (1, 2):
        await repos.drafts.save(Draft.from_value(user_id, "summary", dict(answers)), now)
    return repos, edition, answers, now


async def test_a_sign_up_its_email_and_the_forms_removal_are_one_transaction(tmp_path):
    repos, edition, answers, now = await _scuola(tmp_path)
    composed: list[tuple[str, int | None, int, int]] = []

    def mail(kind):
        def compose(signup, facts):
            composed.append((signup.code, facts.position, facts.confirmed, facts.waiting))
            return NewMail(f"<{kind}.{signup.code}@test>", kind, b"Subject: x\r\n\r\nbody")

        return compose

    try:
        first, before = await repos.signups.create(edition, 1, answers, now, mail("signup"))
        second, _ = await repos.signups.create(edition, 2, answers, now, mail("signup"))
        assert (first.status, before, second.status) == ("confirmed", 0, "waiting")
        # The place in the queue, and the edition's counts with this sign-up in them.
        assert composed == [(first.code, None, 1, 0), (second.code, 1, 1, 1)]
        assert [d.user_id for d in await repos.drafts.all()] == []  # both forms dropped
        assert [m.signup_id for m in await repos.outbox.all()] == [first.id, second.id]

        cancelled, promoted = await repos.signups.cancel(
            first.id, now, mail("cancellation"), mail("promotion")
        )
        assert (cancelled.status, promoted.id, promoted.status) == (
            "cancelled", second.id, "confirmed",
        )  # fmt: skip
        kinds = [m.kind for m in await repos.outbox.all()]
        assert kinds == ["signup", "signup", "cancellation", "promotion"]
    finally:
        await repos.db.close()


async def test_if_the_email_cannot_be_composed_nothing_is_stored(tmp_path):
    repos, edition, answers, now = await _scuola(tmp_path)

    def broken(signup, facts):
        raise RuntimeError("template missing")

    try:
        with pytest.raises(RuntimeError):
            await repos.signups.create(edition, 1, answers, now, broken)
        assert await repos.signups.of_edition(edition.id) == []
        assert await repos.outbox.all() == []
        assert sorted(d.user_id for d in await repos.drafts.all()) == [1, 2]  # the form stays
    finally:
        await repos.db.close()


async def test_step_11_hashes_the_invitations_of_an_existing_database(start_bot, config, clock):
    """An invitation sent before the upgrade (its secret stored in clear) still works after it,
    once, and the secret is no longer in the database."""
    path = config.storage.path
    secret = "an-invitation-sent-before"
    created, expires = clock.now(), clock.now() + timedelta(days=7)
    with sqlite3.connect(path) as conn:
        for step in MIGRATIONS[:10]:
            for statement in step:
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 10")
        conn.execute(
            "INSERT INTO invitations (token, lab_id, created_by, created_at, expires_at) "
            "VALUES (?, 'spazio-q', ?, ?, ?)",
            (secret, STAFF_ID, created.isoformat(), expires.isoformat()),
        )
    bot = await start_bot(config)
    rows = await bot.repo.db.fetch_all("SELECT * FROM invitations")
    assert [r["token_hash"] for r in rows] == [hashlib.sha256(secret.encode()).hexdigest()]
    maria = bot.user(first_name="Maria")
    assert "Ora coordini Spazio Q" in (await maria.send(f"/start coord_{secret}")).text
    assert "già stato usato" in (await bot.user().send(f"/start coord_{secret}")).text


async def test_a_form_stored_before_the_draft_was_typed_is_read_as_it_was(tmp_path):
    """A draft row written by the previous version (answers and "_update"-style marks in one
    JSON object) resumes after the upgrade with the same answers and marks."""
    import json

    repos = Repos.over(await Database.open(tmp_path / "bot.sqlite3"))
    try:
        old = {"edition": "autunno", "first_name": "Ada", "email": "ada@exmaple.org",
               "_update": 7, "_return": True, "_paused": True,
               "_email_typed": "ada@exmaple.org",
               "_email_suggested": "ada@example.org"}  # fmt: skip
        await repos.db.execute(
            "INSERT INTO signup_drafts (user_id, step, data, updated_at) VALUES (?, ?, ?, ?)",
            (5, "email", json.dumps(old), "2026-11-25T09:30:00+00:00"),
        )
        [draft] = await repos.drafts.all()
        assert (draft.answers.first_name, draft.answers.edition) == ("Ada", "autunno")
        assert draft.update_of == 7 and draft.returning and draft.paused
        assert (draft.email_typed, draft.email_suggested) == ("ada@exmaple.org", "ada@example.org")
        await repos.drafts.save(draft, datetime(2026, 11, 25, 9, 31, tzinfo=UTC))
        assert (await repos.drafts.all()) == [draft]  # and written back in the new form
    finally:
        await repos.db.close()
