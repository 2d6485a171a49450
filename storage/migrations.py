"""The schema of the bot's SQLite database, as the migrations that build it.

The list is append-only: step N brings the schema from `user_version` N-1 to N, and
`storage.db.Database` runs each missing step in one transaction when it opens the file. Never edit
or reorder a step that has shipped; add a new one.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, ...]] = [
    # 1: the people the bot knows. Times are UTC ISO-8601 strings.
    (
        """
        CREATE TABLE users (
            id                INTEGER PRIMARY KEY,        -- Telegram user id
            language          TEXT    NOT NULL DEFAULT 'it',
            language_explicit INTEGER NOT NULL DEFAULT 0, -- chosen with /lingua
            first_seen        TEXT    NOT NULL,
            last_seen         TEXT    NOT NULL,
            blocked           INTEGER NOT NULL DEFAULT 0, -- the user blocked the bot
            blocked_at        TEXT,
            interactions      INTEGER NOT NULL DEFAULT 1
        ) STRICT
        """,
    ),
    # 2: staff edits of the lab directory (applied on top of data/labs.toml, in id order; the
    # table is also the history of who changed what and when), and what people asked.
    (
        """
        CREATE TABLE lab_edits (
            id         INTEGER PRIMARY KEY,
            lab_id     TEXT    NOT NULL,
            field      TEXT    NOT NULL,
            value      TEXT    NOT NULL,  -- JSON
            staff_id   INTEGER NOT NULL,
            changed_at TEXT    NOT NULL
        ) STRICT
        """,
        "CREATE INDEX lab_edits_by_lab ON lab_edits (lab_id, id)",
        """
        CREATE TABLE questions (
            id       INTEGER PRIMARY KEY,
            asked_at TEXT    NOT NULL,
            intent   TEXT    NOT NULL,  -- what the bot understood (fallback = not understood)
            subject  TEXT,              -- the lab id, place key or topic it was about
            text     TEXT               -- kept only when not understood; never a user id
        ) STRICT
        """,
        "CREATE INDEX questions_by_time ON questions (asked_at)",
    ),
    # 3: the Scuola: editions and their sessions, sign-ups, forms in progress, the e-mail outbox
    # (each message stored fully rendered, so a retry sends the very same bytes), and the topics
    # people asked to be notified about.
    (
        """
        CREATE TABLE editions (
            id         TEXT    PRIMARY KEY,              -- e.g. autunno-2026
            title      TEXT    NOT NULL,
            year       INTEGER NOT NULL,
            capacity   INTEGER,                          -- NULL: no limit
            deadline   TEXT,                             -- sign-ups close at this moment (UTC)
            open       INTEGER NOT NULL DEFAULT 1,
            origin     TEXT    NOT NULL DEFAULT 'chat',  -- 'file' (data/scuola.toml) or 'chat'
            created_at TEXT    NOT NULL
        ) STRICT
        """,
        """
        CREATE TABLE edition_sessions (
            id         INTEGER PRIMARY KEY,
            edition_id TEXT    NOT NULL REFERENCES editions (id) ON DELETE CASCADE,
            starts_at  TEXT    NOT NULL,
            ends_at    TEXT    NOT NULL,
            place      TEXT    NOT NULL DEFAULT '',
            online_url TEXT    NOT NULL DEFAULT ''
        ) STRICT
        """,
        "CREATE INDEX sessions_by_edition ON edition_sessions (edition_id, starts_at)",
        """
        CREATE TABLE signups (
            id           INTEGER PRIMARY KEY,
            code         TEXT    NOT NULL UNIQUE,        -- SLS-2026-0042
            year         INTEGER NOT NULL,
            seq          INTEGER NOT NULL,
            edition_id   TEXT    NOT NULL REFERENCES editions (id),
            user_id      INTEGER NOT NULL,
            first_name   TEXT    NOT NULL,
            last_name    TEXT    NOT NULL,
            email        TEXT    NOT NULL,
            phone        TEXT    NOT NULL DEFAULT '',
            role         TEXT    NOT NULL,
            organisation TEXT    NOT NULL DEFAULT '',
            note         TEXT    NOT NULL DEFAULT '',
            status       TEXT    NOT NULL CHECK (status IN ('confirmed', 'waiting', 'cancelled')),
            consent_at   TEXT    NOT NULL,
            created_at   TEXT    NOT NULL,
            updated_at   TEXT    NOT NULL,
            cancelled_at TEXT,
            UNIQUE (year, seq)
        ) STRICT
        """,
        """
        CREATE UNIQUE INDEX signups_one_active_per_person
            ON signups (edition_id, user_id) WHERE status != 'cancelled'
        """,
        """
        CREATE TABLE signup_drafts (
            user_id    INTEGER PRIMARY KEY,
            step       TEXT    NOT NULL,
            data       TEXT    NOT NULL,  -- JSON: the answers so far
            updated_at TEXT    NOT NULL
        ) STRICT
        """,
        """
        CREATE TABLE outbox (
            id              INTEGER PRIMARY KEY,
            message_id      TEXT    NOT NULL UNIQUE,
            kind            TEXT    NOT NULL,  -- signup, update, cancellation, promotion
            signup_id       INTEGER REFERENCES signups (id) ON DELETE SET NULL,
            raw             BLOB    NOT NULL,  -- the whole RFC 5322 message
            status          TEXT    NOT NULL DEFAULT 'pending'
                                    CHECK (status IN ('pending', 'sent', 'failed')),
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT    NOT NULL,
            last_error      TEXT,
            created_at      TEXT    NOT NULL,
            sent_at         TEXT
        ) STRICT
        """,
        "CREATE INDEX outbox_due ON outbox (status, next_attempt_at)",
        """
        CREATE TABLE subscriptions (
            user_id    INTEGER NOT NULL,
            topic      TEXT    NOT NULL,  -- assemblea, scuola, annunci
            created_at TEXT    NOT NULL,
            PRIMARY KEY (user_id, topic)
        ) STRICT
        """,
    ),
    # 4: events and who said they will come; what people turned off; reminders (one row per
    # event and offset, the plan) and deliveries (one row per message and person: a reminder or
    # an announcement is sent to each person at most once, and resumes after a crash).
    (
        """
        CREATE TABLE events (
            id          TEXT    PRIMARY KEY,
            kind        TEXT    NOT NULL CHECK (kind IN ('assemblea', 'altro')),
            title       TEXT    NOT NULL,
            starts_at   TEXT    NOT NULL,
            ends_at     TEXT    NOT NULL,
            lab_id      TEXT    NOT NULL DEFAULT '',
            place       TEXT    NOT NULL DEFAULT '',
            lat         REAL,
            lon         REAL,
            online_url  TEXT    NOT NULL DEFAULT '',
            description TEXT    NOT NULL DEFAULT '',
            cancelled   INTEGER NOT NULL DEFAULT 0,
            origin      TEXT    NOT NULL DEFAULT 'chat',
            updated_at  TEXT    NOT NULL
        ) STRICT
        """,
        """
        CREATE TABLE attendances (
            event_id   TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
            user_id    INTEGER NOT NULL,
            share_name INTEGER NOT NULL DEFAULT 0,  -- agreed to show their name to staff
            name       TEXT    NOT NULL DEFAULT '',
            created_at TEXT    NOT NULL,
            PRIMARY KEY (event_id, user_id)
        ) STRICT
        """,
        """
        CREATE TABLE optouts (
            user_id    INTEGER NOT NULL,
            scope      TEXT    NOT NULL,  -- topic:scuola, topic:annunci, event:<ref>
            created_at TEXT    NOT NULL,
            PRIMARY KEY (user_id, scope)
        ) STRICT
        """,
        """
        CREATE TABLE reminders (
            key       TEXT PRIMARY KEY,  -- <event ref>|<offset>
            ref       TEXT NOT NULL,
            offset    TEXT NOT NULL,
            due_at    TEXT NOT NULL,
            status    TEXT NOT NULL DEFAULT 'pending'
                           CHECK (status IN ('pending', 'done', 'skipped', 'cancelled'))
        ) STRICT
        """,
        "CREATE INDEX reminders_due ON reminders (status, due_at)",
        """
        CREATE TABLE deliveries (
            id         INTEGER PRIMARY KEY,
            job        TEXT    NOT NULL,  -- reminder:<key> or announcement:<id>
            user_id    INTEGER NOT NULL,
            status     TEXT    NOT NULL DEFAULT 'pending'
                               CHECK (status IN ('pending', 'sent', 'blocked', 'failed')),
            attempts   INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT    NOT NULL,
            UNIQUE (job, user_id)
        ) STRICT
        """,
        "CREATE INDEX deliveries_pending ON deliveries (job, status, id)",
    ),
    (  # 5: announcements; deliveries learn 'sending' (in flight) and 'stopped'
        """
        CREATE TABLE announcements (
            id             INTEGER PRIMARY KEY,
            token          TEXT    NOT NULL UNIQUE,  -- the draft it came from: sent once
            author_id      INTEGER NOT NULL,
            kind           TEXT    NOT NULL CHECK (kind IN ('text', 'photo', 'notice')),
            body           TEXT    NOT NULL,  -- Telegram HTML, or the notice as JSON
            photo          TEXT    NOT NULL DEFAULT '',  -- Telegram file_id
            audience       TEXT    NOT NULL,  -- all, topic:<t>, lab:<id>, area:<name>, ...
            status         TEXT    NOT NULL CHECK (status IN
                               ('scheduled', 'sending', 'done', 'stopped', 'cancelled')),
            send_at        TEXT    NOT NULL,
            created_at     TEXT    NOT NULL,
            finished_at    TEXT,
            status_chat    INTEGER,
            status_message INTEGER,
            lang           TEXT    NOT NULL DEFAULT 'it'  -- the sender's, for the report
        ) STRICT
        """,
        "CREATE INDEX announcements_status ON announcements (status, send_at)",
        """
        CREATE TABLE deliveries_new (
            id         INTEGER PRIMARY KEY,
            job        TEXT    NOT NULL,  -- reminder:<key> or announcement:<id>
            user_id    INTEGER NOT NULL,
            status     TEXT    NOT NULL DEFAULT 'pending'
                               CHECK (status IN ('pending', 'sending', 'sent', 'blocked',
                                                 'failed', 'stopped')),
            attempts   INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT    NOT NULL,
            UNIQUE (job, user_id)
        ) STRICT
        """,
        "INSERT INTO deliveries_new SELECT * FROM deliveries",
        "DROP TABLE deliveries",
        "ALTER TABLE deliveries_new RENAME TO deliveries",
        "CREATE INDEX deliveries_pending ON deliveries (job, status, id)",
    ),
    # 6: staff added from the chat by an administrator (those of config.toml are not here).
    (
        """
        CREATE TABLE staff (
            user_id  INTEGER PRIMARY KEY,
            added_by INTEGER NOT NULL,
            added_at TEXT    NOT NULL
        ) STRICT
        """,
    ),
    # 7: identifiers are never handed out twice, even after an erasure or the retention deleted
    # the rows that held the highest (a code the organisers were told to delete, an .eml file's
    # name). Sign-up codes are numbered per year, so they come from a counter per year, seeded
    # with the highest number given so far; outbox ids are a plain row id, so AUTOINCREMENT
    # (SQLite's own never-reuse guarantee) does it, at the price of rebuilding the table.
    (
        """
        CREATE TABLE counters (
            name  TEXT    PRIMARY KEY,  -- signup-seq:<year>
            value INTEGER NOT NULL      -- the last number handed out
        ) STRICT
        """,
        """
        INSERT INTO counters (name, value)
            SELECT 'signup-seq:' || year, max(seq) FROM signups GROUP BY year
        """,
        """
        CREATE TABLE outbox_new (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            message_id      TEXT    NOT NULL UNIQUE,
            kind            TEXT    NOT NULL,  -- signup, update, cancellation, promotion, erasure
            signup_id       INTEGER REFERENCES signups (id) ON DELETE SET NULL,
            raw             BLOB    NOT NULL,  -- the whole RFC 5322 message
            status          TEXT    NOT NULL DEFAULT 'pending'
                                    CHECK (status IN ('pending', 'sent', 'failed')),
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT    NOT NULL,
            last_error      TEXT,
            created_at      TEXT    NOT NULL,
            sent_at         TEXT
        ) STRICT
        """,
        "INSERT INTO outbox_new SELECT * FROM outbox",
        "DROP TABLE outbox",
        "ALTER TABLE outbox_new RENAME TO outbox",
        "CREATE INDEX outbox_due ON outbox (status, next_attempt_at)",
    ),
    # 8: the people who run each lab (coordinators), the one-time invitations that make them so,
    # and the monthly "is the card still right?" asked of each (at most one per lab, person and
    # month). A coordinator's name is kept for staff only, and goes with the role.
    (
        """
        CREATE TABLE coordinators (
            lab_id   TEXT    NOT NULL,
            user_id  INTEGER NOT NULL,
            name     TEXT    NOT NULL,  -- as Telegram gave it when the invitation was opened
            added_by INTEGER NOT NULL,  -- the staff member who invited them (0 once erased)
            added_at TEXT    NOT NULL,
            PRIMARY KEY (lab_id, user_id)
        ) STRICT
        """,
        "CREATE INDEX coordinators_by_user ON coordinators (user_id)",
        """
        CREATE TABLE invitations (
            token      TEXT    PRIMARY KEY,  -- the deep link's secret
            lab_id     TEXT    NOT NULL,
            created_by INTEGER NOT NULL,
            created_at TEXT    NOT NULL,
            expires_at TEXT    NOT NULL,
            used_by    INTEGER,
            used_at    TEXT,
            revoked    INTEGER NOT NULL DEFAULT 0
        ) STRICT
        """,
        """
        CREATE TABLE freshness_checks (
            lab_id  TEXT    NOT NULL,
            user_id INTEGER NOT NULL,
            month   TEXT    NOT NULL,  -- 2027-03, in Italian time
            sent_at TEXT    NOT NULL,
            PRIMARY KEY (lab_id, user_id, month)
        ) STRICT
        """,
    ),
    # 9: a Scuola session held at a lab of the network names it, as an event does: its address
    # and position then come from the directory (the place as typed stays, for when the lab
    # is gone).
    ("ALTER TABLE edition_sessions ADD COLUMN lab_id TEXT NOT NULL DEFAULT ''",),
    # 10: the lab an event was made for ("📅 Nuovo evento qui" on its card), which its
    # coordinators may change; an Assemblea or a staff event merely held at a lab is not the
    # lab's. Events made before this step are left to staff: which were made from a card was
    # not recorded.
    ("ALTER TABLE events ADD COLUMN for_lab TEXT NOT NULL DEFAULT ''",),
    # 11: an invitation's secret is a bearer secret (whoever holds the link becomes a
    # coordinator) and the database is copied into every backup: only its SHA-256 is kept.
    # Invitations already sent are hashed here (`sha256()` is the connection's own function,
    # `storage.db`), so their links keep working.
    (
        """
        CREATE TABLE invitations_new (
            token_hash TEXT    PRIMARY KEY,  -- SHA-256 (hex) of the deep link's secret
            lab_id     TEXT    NOT NULL,
            created_by INTEGER NOT NULL,
            created_at TEXT    NOT NULL,
            expires_at TEXT    NOT NULL,
            used_by    INTEGER,
            used_at    TEXT,
            revoked    INTEGER NOT NULL DEFAULT 0
        ) STRICT
        """,
        """
        INSERT INTO invitations_new
            SELECT sha256(token), lab_id, created_by, created_at, expires_at, used_by, used_at,
                   revoked
            FROM invitations
        """,
        "DROP TABLE invitations",
        "ALTER TABLE invitations_new RENAME TO invitations",
    ),
    # 12: citizens' proposals to a lab or to the whole network (`storage.proposals`): the
    # proposals with their moderation and the state of their answer, the form being written,
    # who supports and who follows each.
    (
        """
        CREATE TABLE proposals (
            id           INTEGER PRIMARY KEY,
            lab_id       TEXT    NOT NULL DEFAULT '',  -- '': the whole network
            author_id    INTEGER,                      -- NULL once the author erased their data
            author_name  TEXT    NOT NULL DEFAULT '',  -- first name, kept only if it may be shown
            title        TEXT    NOT NULL,
            body         TEXT    NOT NULL,
            place        TEXT    NOT NULL DEFAULT '',
            lat          REAL,
            lon          REAL,
            photo        TEXT    NOT NULL DEFAULT '',  -- Telegram file_id
            status       TEXT    NOT NULL DEFAULT 'pending',  -- pending, published, rejected
            reason       TEXT    NOT NULL DEFAULT '',  -- a refusal's, for the author
            state        TEXT    NOT NULL DEFAULT '',  -- the latest answer's: '' none yet
            hidden       INTEGER NOT NULL DEFAULT 0,   -- reported: out of sight until moderated
            created_at   TEXT    NOT NULL,
            moderated_at TEXT,
            moderated_by INTEGER,
            reminded_at  TEXT                          -- staff reminded of it, waiting
        ) STRICT
        """,
        "CREATE INDEX proposals_by_author ON proposals (author_id)",
        "CREATE INDEX proposals_by_status ON proposals (status, lab_id)",
        """
        CREATE TABLE proposal_drafts (
            user_id    INTEGER PRIMARY KEY,
            data       TEXT    NOT NULL,  -- JSON of domain.proposals.ProposalDraft
            updated_at TEXT    NOT NULL
        ) STRICT
        """,
        """
        CREATE TABLE proposal_supports (
            proposal_id INTEGER NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
            user_id     INTEGER NOT NULL,
            created_at  TEXT    NOT NULL,
            PRIMARY KEY (proposal_id, user_id)
        ) STRICT
        """,
        "CREATE INDEX proposal_supports_by_user ON proposal_supports (user_id)",
        """
        CREATE TABLE proposal_follows (
            proposal_id INTEGER NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
            user_id     INTEGER NOT NULL,
            created_at  TEXT    NOT NULL,
            PRIMARY KEY (proposal_id, user_id)
        ) STRICT
        """,
        "CREATE INDEX proposal_follows_by_user ON proposal_follows (user_id)",
        """
        CREATE TABLE proposal_answers (
            id          INTEGER PRIMARY KEY,
            proposal_id INTEGER NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
            state       TEXT    NOT NULL,  -- evaluating, accepted, declined, done
            text        TEXT    NOT NULL,
            done_on     TEXT    NOT NULL DEFAULT '',  -- 2027-03-12, for "done"
            by_id       INTEGER NOT NULL,  -- 0 once the moderator erased their data
            created_at  TEXT    NOT NULL
        ) STRICT
        """,
        # One row per (answer, person told): each is told once, even across a restart.
        """
        CREATE TABLE proposal_notices (
            answer_id  INTEGER NOT NULL REFERENCES proposal_answers (id) ON DELETE CASCADE,
            user_id    INTEGER NOT NULL,
            status     TEXT    NOT NULL DEFAULT 'pending',  -- pending, sent, failed
            updated_at TEXT    NOT NULL,
            PRIMARY KEY (answer_id, user_id)
        ) STRICT
        """,
        # Offers of a hand to a lab: never public, to its coordinators (staff when none).
        """
        CREATE TABLE offers (
            id          INTEGER PRIMARY KEY,
            lab_id      TEXT    NOT NULL,
            user_id     INTEGER NOT NULL,
            text        TEXT    NOT NULL,
            contact     TEXT    NOT NULL DEFAULT '',  -- given with consent: @name, phone, e-mail
            status      TEXT    NOT NULL DEFAULT 'new',  -- new, contact, declined
            created_at  TEXT    NOT NULL,
            answered_by INTEGER,
            answered_at TEXT
        ) STRICT
        """,
        "CREATE INDEX offers_by_user ON offers (user_id, lab_id)",
        """
        CREATE TABLE proposal_reports (
            proposal_id INTEGER NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
            user_id     INTEGER NOT NULL,
            created_at  TEXT    NOT NULL,
            PRIMARY KEY (proposal_id, user_id)
        ) STRICT
        """,
    ),
]

SCHEMA_VERSION = len(MIGRATIONS)
