"""`python -m bot [run | check-config | backup PATH] [--config PATH]`.

`run` (the default) talks to Telegram when a token is configured, else opens the local sandbox in
the terminal. `backup PATH` writes a consistent copy of the live database (the bot may keep
running). A configuration or database problem is printed plainly and exits with status 2.
"""

from __future__ import annotations

import gc

if __name__ == "__main__":  # the program (not this module imported, as the tests do)
    gc.disable()  # during the imports; `bot.app.settle_memory` resumes collections once started

import argparse
import logging
import sys
from pathlib import Path

from telegram.error import InvalidToken, NetworkError

from bot import logs
from bot.config import Config, ConfigError, load
from domain import directory
from domain.directory import DataError
from storage import DatabaseError

log = logging.getLogger("bot")

EXIT_CONFIG = 2
EXIT_UNREACHABLE = 1  # a service manager starts it again (Restart=on-failure)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "check-config", "backup"],
        help="what to do",
    )
    parser.add_argument("target", nargs="?", type=Path, help="backup: the copy's file name")
    parser.add_argument("--config", type=Path, help="configuration file (default config.toml)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        config = load(args.config)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "backup":
        return run_backup(config, args.target)
    if args.command == "check-config":
        try:
            labs = directory.load(config.storage.data_dir)
        except DataError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return EXIT_CONFIG
        mode = "Telegram" if config.telegram.has_token else "local sandbox (no token)"
        towns = sum(1 for place in labs.places if place.kind == "town")
        print(
            f"configuration OK ({config.source}); data OK ({len(labs.labs)} labs, "
            f"{len(labs.places) - towns} places, {towns} towns of the gazetteer); "
            f"the bot would run with the {mode}"
        )
        return 0
    if not config.telegram.has_token:
        return run_sandbox(config)
    return run_telegram(config)


def run_backup(config: Config, target: Path | None) -> int:
    from datetime import datetime

    from storage.db import backup

    source = config.storage.path
    if target is None:
        print("usage: python -m bot backup PATH (a file name, or a folder)", file=sys.stderr)
        return EXIT_CONFIG
    if target.is_dir():
        target = target / f"{source.stem}-{datetime.now():%Y%m%d-%H%M%S}{source.suffix}"
    try:
        version = backup(source, target)
    except DatabaseError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    size = target.stat().st_size
    print(f"backup OK: {target} ({size / 1024:.0f} KB, schema {version}, integrity checked)")
    return 0


def run_sandbox(config: Config) -> int:
    from bot.sandbox import terminal

    # The terminal is for the conversation; the log goes to a file beside the database.
    log_path = config.storage.path.parent / "sandbox.log"
    logs.setup(config.secrets(), file=log_path, keep_days=config.privacy.messages_days)
    try:
        return terminal.run(config)
    except (DatabaseError, DataError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG


def run_telegram(config: Config) -> int:
    import asyncio

    from bot.app import build_application
    from bot.lifecycle import serve

    log_file = Path(config.storage.log_file) if config.storage.log_file else None
    logs.setup(config.secrets(), file=log_file, keep_days=config.privacy.messages_days)
    app = build_application(config)
    try:
        asyncio.run(serve(app, config))
    except (DatabaseError, DataError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    except InvalidToken:
        print(
            "Telegram refused the bot token: check BOT_TOKEN (it comes from @BotFather).",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    except NetworkError as exc:  # lost between the first answer and the start of polling
        log.error("Telegram became unreachable while the bot was starting: %s", exc.message)
        return EXIT_UNREACHABLE
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
