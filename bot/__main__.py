"""Command line: `python -m bot [run | migrate | backup PATH | stats | healthcheck | demo |
content check]`. No work happens at import."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from telegram.error import InvalidToken, NetworkError

from bot import i18n
from bot.config import Settings, SettingsError, load_settings
from bot.content import ContentError, Library, count_table, library_problems, load_library
from bot.context import NearerApp
from bot.domain.health import scheduler_stalled
from bot.files import create_private, tighten_database
from bot.localized import coverage, load_translation
from bot.storage import Database, StorageUnavailable, read_health


class StartupError(Exception):
    """Something outside the settings stops start-up; the message is one line."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Nearer, the couples bot.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (the default)")
    commands.add_parser("migrate", help="bring the database schema up to date and exit")
    backup = commands.add_parser("backup", help="write a consistent copy of the database")
    backup.add_argument("path", type=Path, help="a new file to write the copy to")
    commands.add_parser("stats", help="print pairs, questions, answer rates and queue size")
    commands.add_parser("healthcheck", help="exit 0 if the database and scheduler look alive")
    commands.add_parser("demo", help="run two scripted partners against a local fake Telegram")
    content = commands.add_parser("content", help="work with the content library")
    content.add_argument("action", choices=["check"], help="validate content/ and print counts")
    i18n = commands.add_parser("i18n", help="the interface texts' translation template")
    i18n.add_argument(
        "action",
        choices=["extract", "check"],
        help="extract: write bot/locales/messages.pot; check: fail when it is out of date",
    )
    return parser


def language_table(library: Library, languages: i18n.Languages) -> str:
    """Coverage per language: interface texts and content translated, and whether offered."""
    wanted = len(list(i18n.source_texts()))
    catalogues = i18n.load_catalogues()
    lines = ["language  interface   questions   exercises  prompts  categories  offered"]
    for code in sorted(languages.problems):
        missing = len(catalogues.missing.get(code, [])) if code in catalogues.by_code else wanted
        figures = coverage(library, load_translation(code))
        cells = [f"{done}/{total}" for done, total in figures.values()]
        offered = "yes" if code in languages.offered else "no"
        lines.append(
            f"{code:<9} {wanted - missing:>3}/{wanted:<6} {cells[0]:>11} {cells[1]:>11} "
            f"{cells[2]:>8} {cells[3]:>11}  {offered}"
        )
    return "\n".join(lines)


def translations(action: str) -> int:
    """Write the gettext template from bot.texts, or check that the committed one is current."""
    fresh = i18n.template_text()
    if action == "extract":
        i18n.TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
        i18n.TEMPLATE.write_text(fresh, encoding="utf-8")
        print(f"wrote {i18n.TEMPLATE}")
        return 0
    current = i18n.TEMPLATE.read_text(encoding="utf-8") if i18n.TEMPLATE.exists() else ""
    if current != fresh:
        print(
            "i18n error: bot/locales/messages.pot is out of date; "
            "run `python -m bot i18n extract`",
            file=sys.stderr,
        )
        return 1
    print("i18n template ok")
    return 0


def check_content() -> int:
    """Validate the content library; print the counts table or every problem found."""
    try:
        library = load_library()
    except ContentError as error:
        print(f"content error: {error}", file=sys.stderr)
        return 1
    print(count_table(library))
    problems = library_problems(library)
    languages = i18n.Languages.load(library, strict=True)
    print(language_table(library, languages))
    for code_problems in languages.problems.values():
        problems.extend(code_problems)
    for problem in problems:
        print(f"content error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("content ok")
    return 0


def _port_is_free(address: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True


def preflight(settings: Settings) -> None:
    """Check ports (before anything is touched), the database and the token before the bot
    starts, so each failure is one clear line instead of a traceback."""
    ports = []
    if settings.web_port is not None:
        ports.append(("WEBHOOK_PORT", settings.webhook_listen, settings.web_port))
    if settings.ops_port is not None and settings.ops_port != settings.web_port:
        ports.append(("HEALTH_PORT", "0.0.0.0", settings.ops_port))  # noqa: S104
    for name, address, port in ports:
        if not _port_is_free(address, port):
            raise StartupError(f"Port {port} ({name}) is already in use; choose another port.")

    async def _open() -> None:
        db = await Database.open(settings.database_path)
        await db.close()

    try:
        asyncio.run(_open())
    except StorageUnavailable as error:
        raise StartupError(f"Database problem: {error}") from None

    async def _check_token() -> None:
        from telegram import Bot

        bot = Bot(
            settings.bot_token.get_secret_value(),
            base_url=settings.telegram_api_base_url or "https://api.telegram.org/bot",
        )
        async with bot:  # initialize() calls getMe
            pass

    try:
        asyncio.run(_check_token())
    except InvalidToken:
        raise StartupError(
            "Telegram refused BOT_TOKEN: check it with @BotFather (/mybots, API Token)."
        ) from None
    except NetworkError as error:
        where = settings.telegram_api_base_url or "api.telegram.org"
        raise StartupError(f"Cannot reach Telegram at {where}: {type(error).__name__}") from None


def run_bot() -> int:
    """Start the bot (long polling, or a webhook when WEBHOOK_URL is set) until SIGINT/SIGTERM."""
    from bot.app import build_application
    from bot.logs import setup_logging

    settings = load_settings()
    secrets = [settings.bot_token.get_secret_value()]
    if settings.webhook_secret is not None:
        secrets.append(settings.webhook_secret.get_secret_value())
    setup_logging(settings.log_level, secrets)
    try:
        library = load_library()
    except ContentError as error:
        raise StartupError(f"content error: {error}") from None
    tighten_database(settings.database_path)
    preflight(settings)
    app, _ = build_application(settings, library=library)
    _serve(app, settings)
    return 0


def _serve(app: NearerApp, settings: Settings) -> None:
    from bot.app import ALLOWED_UPDATES, serve_webhook

    if settings.webhook_mode:
        asyncio.run(serve_webhook(app))
    else:
        app.run_polling(allowed_updates=ALLOWED_UPDATES)


def _database_only() -> Settings:
    # Operations on the database need no token: a placeholder satisfies the token check.
    try:
        return load_settings()
    except SettingsError:
        return load_settings(bot_token="0:" + "x" * 40)


def migrate() -> int:
    """Open the database, apply migrations and report the schema version."""
    settings = _database_only()
    tighten_database(settings.database_path)

    async def _migrate() -> int:
        db = await Database.open(settings.database_path)
        version = await db.schema_version()
        await db.close()
        return version

    try:
        version = asyncio.run(_migrate())
    except StorageUnavailable as error:
        raise StartupError(f"Database problem: {error}") from None
    print(f"database {settings.database_path} is at schema {version}")
    return 0


def backup(target: Path) -> int:
    """Write a consistent copy of the database to a new file."""
    settings = _database_only()
    if target.exists():
        raise StartupError(f"{target} exists already; choose a new file name.")
    if not settings.database_path.exists():
        raise StartupError(f"There is no database at {settings.database_path} to back up.")

    async def _backup() -> None:
        db = await Database.open_existing(settings.database_path)
        try:
            await db.backup_to(target)
        finally:
            await db.close()

    try:
        asyncio.run(_backup())
    except StorageUnavailable as error:
        raise StartupError(f"Backup failed: {error}") from None
    print(f"backup of {settings.database_path} written to {target}")
    return 0


def stats() -> int:
    """Print the operator figures."""
    from bot.ops import format_stats

    settings = _database_only()
    if not settings.database_path.exists():
        raise StartupError(f"There is no database at {settings.database_path}.")
    now = dt.datetime.now(dt.UTC)

    async def _stats() -> dict[str, int | float]:
        db = await Database.open_existing(settings.database_path)
        try:
            async with db.reading() as tx:
                return await tx.stats(now)
        finally:
            await db.close()

    try:
        figures = asyncio.run(_stats())
    except StorageUnavailable as error:
        raise StartupError(f"Database problem: {error}") from None
    print("\n".join(format_stats(figures, now)))
    return 0


def healthcheck() -> int:
    """Exit 0 when the database reads fine and the scheduler ticked recently."""
    settings = _database_only()
    try:
        report = asyncio.run(read_health(settings.database_path))
    except StorageUnavailable as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    if report.integrity != "ok":
        print(f"unhealthy: database check says {report.integrity}", file=sys.stderr)
        return 1
    if report.last_tick_at is None:
        print("unhealthy: the scheduler has not ticked yet", file=sys.stderr)
        return 1
    age = (dt.datetime.now(dt.UTC) - report.last_tick_at).total_seconds()
    if scheduler_stalled(age, settings.tick_seconds):
        print(f"unhealthy: the scheduler last ticked {age:.0f} s ago", file=sys.stderr)
        return 1
    print(f"healthy: database ok, last tick {age:.0f} s ago")
    return 0


def demo() -> int:
    """Run the scripted two-partner demo against the local fake Bot API."""
    # The demo lives in the sandbox package beside the bot (not part of the running bot);
    # this command only starts it.
    from sandbox.demo import run_demo

    return asyncio.run(run_demo())


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch a subcommand; configuration and start-up problems end with one clear line."""
    args = _parser().parse_args(argv)
    # The database, its side files and backups hold what people wrote (see bot.files).
    create_private()
    try:
        if args.command == "content":
            return check_content()
        if args.command == "i18n":
            return translations(args.action)
        if args.command == "migrate":
            return migrate()
        if args.command == "backup":
            return backup(args.path)
        if args.command == "stats":
            return stats()
        if args.command == "healthcheck":
            return healthcheck()
        if args.command == "demo":
            return demo()
        return run_bot()
    except (SettingsError, StartupError) as error:
        print(error, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
