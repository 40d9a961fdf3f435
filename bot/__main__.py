"""Command line: `python -m bot [run | migrate | content check]`. No work happens at import."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bot.config import SettingsError, load_settings
from bot.content import ContentError, count_table, library_problems, load_library


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Nearer, the couples bot.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (the default)")
    commands.add_parser("migrate", help="bring the database schema up to date and exit")
    content = commands.add_parser("content", help="work with the content library")
    content.add_argument("action", choices=["check"], help="validate content/ and print counts")
    return parser


def check_content() -> int:
    """Validate the content library; print the counts table or every problem found."""
    try:
        library = load_library()
    except ContentError as error:
        print(f"content error: {error}", file=sys.stderr)
        return 1
    print(count_table(library))
    problems = library_problems(library)
    for problem in problems:
        print(f"content error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("content ok")
    return 0


def run_bot() -> int:
    """Start the bot with long polling until SIGINT or SIGTERM."""
    from bot.app import ALLOWED_UPDATES, build_application
    from bot.logs import setup_logging

    settings = load_settings()
    setup_logging(settings.log_level, [settings.bot_token.get_secret_value()])
    try:
        library = load_library()
    except ContentError as error:
        print(f"content error: {error}", file=sys.stderr)
        return 1
    app, _ = build_application(settings, library=library)
    app.run_polling(allowed_updates=ALLOWED_UPDATES)
    return 0


def migrate() -> int:
    """Open the database, apply migrations and report the schema version."""
    from bot.storage import Database

    settings = load_settings()

    async def _migrate() -> int:
        db = await Database.open(settings.database_path)
        version = await db.schema_version()
        await db.close()
        return version

    print(f"database {settings.database_path} is at schema {asyncio.run(_migrate())}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch a subcommand; configuration problems end with one clear line."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "content":
            return check_content()
        if args.command == "migrate":
            return migrate()
        return run_bot()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
