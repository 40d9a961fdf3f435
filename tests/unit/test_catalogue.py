"""Every user-facing word lives in the text catalogue (bot/texts.py), so a translation can
replace them all: the modules that build what people see hold no prose of their own."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot import texts
from bot.domain import intent
from bot.web import miniapp

BOT = Path(__file__).resolve().parents[2] / "bot"
# The modules whose strings could reach a person: handlers, use cases, the renderer, delivery,
# keyboards, the domain and the web server.
SCANNED = [
    *sorted((BOT / "handlers").glob("*.py")),
    *sorted((BOT / "usecases").glob("*.py")),
    *sorted((BOT / "delivery").glob("*.py")),
    *sorted((BOT / "domain").glob("*.py")),
    *sorted((BOT / "web").glob("*.py")),
    BOT / "render.py",
    BOT / "keyboards.py",
]
PROSE = re.compile(r"[A-Za-z]{2,}[ ,.!?'’]+[A-Za-z]{2,}")
# Strings that are not words for people: what Telegram answers in its errors, matched on.
TELEGRAM_ERRORS = {
    "message to edit not found",
    "message can't be edited",
    "there is no text in the message to edit",
    "not modified",
    "not found",
    "chat not found",
    "nothing left to send",
}
# What the web server says in HTTP, not to people: its security policy, headers, file names.
HTTP_WORDS = {
    miniapp.CONTENT_SECURITY_POLICY,
    miniapp.TEXTS_MARK,
    miniapp.TEXTS_MARK.removesuffix("</script>"),
    "private, no-store",
    "index.html",
}
# What people may write, matched to tell an aside from an answer (bot/domain/intent.py).
MATCHED_WORDS = {intent.SMALL_TALK_WORDS, intent.HELP_PATTERN}
LOGGING = {"debug", "info", "warning", "error", "exception", "critical"}


def _skipped_nodes(tree: ast.AST) -> set[int]:
    """Ids of string nodes that are docstrings, log lines or exception messages."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            skipped.add(id(first.value))
        inside = None
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in LOGGING or name[:1].isupper():  # log.info(...), SomeError("...")
                inside = node
        if isinstance(node, ast.Raise):
            inside = node
        if inside is not None:
            skipped.update(id(child) for child in ast.walk(inside))
    return skipped


def _prose_outside_the_catalogue() -> list[str]:
    found = []
    for path in SCANNED:
        tree = ast.parse(path.read_text())
        skipped = _skipped_nodes(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            if id(node) in skipped or node.value in TELEGRAM_ERRORS | HTTP_WORDS | MATCHED_WORDS:
                continue
            if PROSE.search(node.value):
                found.append(f"{path.relative_to(BOT.parent)}:{node.lineno}: {node.value!r}")
    return found


def test_no_words_for_people_are_written_outside_the_catalogue() -> None:
    assert _prose_outside_the_catalogue() == []


def test_the_check_would_find_a_reply_written_in_a_handler() -> None:
    handler = ast.parse('async def f(m):\n    await m.reply_text("Thanks, saved!")\n')
    constants = [n.value for n in ast.walk(handler) if isinstance(n, ast.Constant)]
    assert any(PROSE.search(str(value)) for value in constants)
    assert not PROSE.search("react:12:heart") and not PROSE.search(texts.ON)


# The Mini App's page and script: words come from the catalogue the server embeds, so the
# page's elements are empty and the script's string literals hold no prose.
STATIC = BOT / "web" / "static"
JS_STRING = re.compile(r"\"((?:[^\"\\\n]|\\.)*)\"|'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`")
HTML_TEXT = re.compile(r">([^<]+)<")
# What the browser and Telegram name: event types, CSS selectors, JavaScript snippets.
NOT_PROSE_IN_SCRIPT = re.compile(r"^[\w\s.:#\[\]=\"'(),>*-]*$")


def _prose_in_the_mini_app() -> list[str]:
    found = []
    page = (STATIC / "index.html").read_text()
    for text in HTML_TEXT.findall(page):
        if PROSE.search(text):
            found.append(f"index.html: {text.strip()!r}")
    script = (STATIC / "app.js").read_text()
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("//"))
    for match in JS_STRING.finditer(code):
        literal = next(group for group in match.groups() if group is not None)
        if literal == "use strict":
            continue
        if PROSE.search(literal) and not literal.startswith(("web_app_", "document.")):
            words = re.sub(r"\$\{[^}]*\}", "", literal)
            if PROSE.search(words) and " " in words.strip():
                found.append(f"app.js: {literal!r}")
    return found


def test_the_mini_app_takes_every_word_from_the_catalogue() -> None:
    assert _prose_in_the_mini_app() == []


def test_every_word_the_mini_app_looks_up_is_in_the_catalogue() -> None:
    script = (STATIC / "app.js").read_text()
    page = (STATIC / "index.html").read_text()
    keys = set(re.findall(r"\bt\(\"(\w+)\"", script))
    keys |= set(re.findall(r'data-t[pl]?="(\w+)"', page))
    keys |= {f"format_{kind}" for kind in ("text", "voice", "video_note", "photo")}
    assert keys and keys <= set(texts.WEBAPP)


def test_the_mini_app_check_would_find_a_word_written_in_the_script() -> None:
    literals = [m.group(1) for m in JS_STRING.finditer('notice("Saved, thanks!"); call("me")')]
    assert [literal for literal in literals if literal and PROSE.search(literal)] == [
        "Saved, thanks!"
    ]
