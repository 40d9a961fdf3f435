"""Day to day: pause and resume, reminders, skip, ask, history, streaks, reactions, hearts."""

from __future__ import annotations

import contextlib
from dataclasses import replace

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot import keyboards, render, texts
from bot.context import NearerContext
from bot.domain.models import Answer, AnswerKind, Question
from bot.domain.selection import LibraryQuestion
from bot.handlers.common import sender, texts_for
from bot.i18n import Language, Texts
from bot.keyboards import webapp_row
from bot.usecases import clocks, common, nudges, questions
from bot.usecases import history as history_cases
from bot.usecases import pause as pause_cases
from bot.usecases import reminders as reminder_cases


async def pause(update: Update, context: NearerContext) -> None:
    """Pause the pair: /pause, /pause 3d, /pause 2w, /pause until 2026-12-24."""
    t = await texts_for(update, context)
    user, message = sender(update)
    result = await pause_cases.pause(context.services, user.id, " ".join(context.args or []))
    if result.outcome is pause_cases.PauseOutcome.BAD_ARGUMENT:
        await message.reply_text(t(texts.PAUSE_USAGE))
        return
    if result.pair is None:
        await message.reply_text(t(texts.NOT_PAIRED))
        return
    clock = result.person.clock(result.pair) if result.person else result.pair.schedule
    label = render.pause_label(result.until, clock.timezone, t)
    template = (
        t(texts.PAUSED_UPDATED)
        if result.outcome is pause_cases.PauseOutcome.PAUSE_UPDATED
        else t(texts.PAUSED)
    )
    await message.reply_text(template.format(until=label))


async def resume(update: Update, context: NearerContext) -> None:
    """Resume the pair's questions from the next send time."""
    t = await texts_for(update, context)
    user, message = sender(update)
    result = await pause_cases.resume(context.services, user.id)
    if result.pair is None:
        await message.reply_text(t(texts.NOT_PAIRED))
        return
    if result.outcome is pause_cases.PauseOutcome.PARTNER_AWAY:
        await message.reply_text(t(texts.RESUME_PARTNER_AWAY))
        return
    now = context.services.clock()
    clock, next_at = result.pair.schedule, result.next_due_at
    if result.person is not None:
        clock = result.person.clock(result.pair)
        next_at = clocks.next_question_for(
            result.person, replace(result.pair, next_due_at=result.next_due_at), now
        )
    when = t.next_time(next_at, clock, now)
    if result.outcome is pause_cases.PauseOutcome.NOT_PAUSED:
        await message.reply_text(t(texts.NOT_PAUSED, when=when))
        return
    await message.reply_text(t(texts.RESUMED, when=when))


async def reminders(update: Update, context: NearerContext) -> None:
    """Turn the person's reminders on or off: /reminders on|off."""
    t = await texts_for(update, context)
    user, message = sender(update)
    argument = " ".join(context.args or []).strip().lower()
    if argument not in ("on", "off"):
        current = await common.pairing_of(context.services, user.id)
        state = t(texts.ON) if current and current.person.reminders_on else t(texts.OFF)
        await message.reply_text(t(texts.REMINDERS_USAGE, state=state))
        return
    person = await reminder_cases.set_reminders(context.services, user.id, on=argument == "on")
    if person is None or not person.reminders_on:
        await message.reply_text(t(texts.REMINDERS_OFF))
        return
    quiet = f"{person.quiet_start.strftime('%H:%M')}–{person.quiet_end.strftime('%H:%M')}"
    await message.reply_text(t(texts.REMINDERS_ON, hours=person.reminder_hours, quiet=quiet))


async def skip(update: Update, context: NearerContext) -> None:
    """Swap today's question while neither partner has answered it."""
    t = await texts_for(update, context)
    user, message = sender(update)
    outcome = await questions.skip(context.services, user.id)
    reply = {
        questions.SkipOutcome.NOT_PAIRED: t(texts.NOT_PAIRED),
        questions.SkipOutcome.NOTHING_OPEN: t(texts.SKIP_NOTHING),
        questions.SkipOutcome.TOO_LATE: t(texts.SKIP_TOO_LATE),
        questions.SkipOutcome.LIMIT: t.count(texts.SKIP_LIMIT, questions.SKIPS_PER_DAY),
        questions.SkipOutcome.SKIPPED: None,  # the new question and a note arrive via the outbox
    }[outcome]
    if reply is not None:
        await message.reply_text(reply)


async def ask(update: Update, context: NearerContext) -> None:
    """Queue a question the partner wrote: /ask <question>."""
    t = await texts_for(update, context)
    user, message = sender(update)
    text = (message.text or "").partition(" ")[2]
    outcome, waiting = await questions.ask(context.services, user.id, text)
    reply = {
        questions.AskOutcome.NOT_PAIRED: t(texts.NOT_PAIRED),
        questions.AskOutcome.BAD_LENGTH: t(texts.ASK_USAGE),
        questions.AskOutcome.TOO_MANY: t.count(texts.ASK_TOO_MANY, waiting),
        questions.AskOutcome.LIMIT: t.count(texts.ASK_LIMIT, waiting),
        questions.AskOutcome.SAVED: t.count(texts.ASK_SAVED, waiting),
    }[outcome]
    await message.reply_text(reply)


def _answer_text(answer: Answer | None, t: Texts, question: Question | None = None) -> str:
    """An answer in /history: its words, with the pick, rating or guess beside them."""
    if answer is None:
        return t(texts.HISTORY_DELETED)
    if answer.kind is AnswerKind.TEXT:
        words = texts.esc(answer.text)
    else:
        words = f"[{t(texts.KIND_NAMES[answer.kind])}] {texts.esc(answer.text)}".strip()
    if isinstance(question, LibraryQuestion) and answer.choice is not None:
        pick = render.pick_label(question, answer, t, own=True)
        words = t(texts.HISTORY_PICK, pick=pick, why=words) if words else pick
    if answer.guess is not None:
        mark = t(texts.HISTORY_GUESS_RIGHT) if answer.guess_verdict else ""
        words = t(texts.HISTORY_GUESS, answer=words, guess=texts.esc(answer.guess), mark=mark)
    return words


def _tally_line(tally: tuple[int, int], t: Texts) -> str | None:
    right, judged = tally
    return t(texts.GUESS_TALLY, right=right, judged=judged) if judged else None


def _history_page(
    page: history_cases.HistoryPage, language: Language, webapp_url: str | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    t = language.texts
    if not page.entries:
        return t(texts.HISTORY_EMPTY), None
    first = page.page * history_cases.HISTORY_PAGE + 1
    lines = [
        t(texts.HISTORY_HEADER, first=first, last=first + len(page.entries) - 1, total=page.total)
    ]
    tally = _tally_line(page.tally, t)
    if tally and page.page == 0:
        lines.append(tally)
    for entry in page.entries:
        question = language.wording.question(entry.prompt.content_id)
        lines.append(
            t(
                texts.HISTORY_ENTRY,
                date=t.date(entry.prompt.local_date, weekday=False, year=True),
                question=texts.esc(language.prompt_text(entry.prompt)),
                mine=_answer_text(entry.mine, t, question),
                partner=texts.esc(entry.partner_name) or t(texts.YOUR_PARTNER_START),
                theirs=_answer_text(entry.theirs, t, question),
            )
        )
    buttons = []
    if page.page > 0:
        buttons.append(
            InlineKeyboardButton(t(texts.HISTORY_NEWER), callback_data=f"h:{page.page - 1}")
        )
    if page.page + 1 < page.pages:
        buttons.append(
            InlineKeyboardButton(t(texts.HISTORY_OLDER), callback_data=f"h:{page.page + 1}")
        )
    text = texts.chunks("\n\n".join(lines))[0]
    rows = [*([buttons] if buttons else []), *webapp_row(webapp_url, t)]
    return text, InlineKeyboardMarkup(rows) if rows else None


async def history(update: Update, context: NearerContext) -> None:
    """Show the newest page of revealed questions with both answers."""
    t = await texts_for(update, context)
    user, message = sender(update)
    page = await history_cases.history(context.services, user.id, 0)
    if page.total == 0 and await common.pairing_of(context.services, user.id) is None:
        await message.reply_text(t(texts.NOT_PAIRED))  # says how to pair
        return
    language = context.services.languages.get(t.code)
    text, keyboard = _history_page(page, language, context.services.settings.webapp_url)
    await message.reply_text(text, reply_markup=keyboard)


async def turn_history_page(update: Update, context: NearerContext) -> None:
    """Show another page of history (the person's own pairs only, by construction)."""
    t = await texts_for(update, context)
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    raw = query.data.removeprefix("h:")
    if not raw.isdigit() or len(raw) > 6:
        await query.answer(t(texts.MENU_EXPIRED), show_alert=True)
        return
    page = await history_cases.history(context.services, user.id, int(raw))
    await query.answer()
    language = context.services.languages.get(t.code)
    text, keyboard = _history_page(page, language, context.services.settings.webapp_url)
    await query.edit_message_text(text, reply_markup=keyboard)


async def streak(update: Update, context: NearerContext) -> None:
    """Show how many questions in a row both partners answered."""
    t = await texts_for(update, context)
    user, message = sender(update)
    streak = await history_cases.streak(context.services, user.id)
    if streak is None:
        await message.reply_text(t(texts.NOT_PAIRED))
        return
    text = t(texts.STREAK_NONE) if streak.count == 0 else t.count(texts.STREAK, streak.count)
    tally = _tally_line(streak.tally, t)
    await message.reply_text(f"{text}\n\n{tally}" if tally else text)


async def react(update: Update, context: NearerContext) -> None:
    """Send the partner a reaction to their revealed answer."""
    t = await texts_for(update, context)
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    _, raw_id, kind = ([*query.data.split(":"), "", ""])[:3]
    outcome = history_cases.ReactOutcome.EXPIRED
    if raw_id.isdigit() and len(raw_id) < 19:
        outcome = await history_cases.react(context.services, user.id, int(raw_id), kind)
    pairing = await common.pairing_of(context.services, user.id)
    partner = texts.esc(pairing.partner.first_name) if pairing else ""
    alert = {
        history_cases.ReactOutcome.SENT: t(texts.REACTED, partner=partner),
        history_cases.ReactOutcome.ALREADY: t(texts.REACTED_ALREADY),
        history_cases.ReactOutcome.EXPIRED: t(texts.MENU_EXPIRED),
    }[outcome]
    await query.answer(alert, show_alert=outcome is history_cases.ReactOutcome.EXPIRED)
    if outcome is history_cases.ReactOutcome.SENT:
        label = t(texts.HEART_SENT_BUTTON if kind == "heart" else texts.TALK_SENT_BUTTON)
        await _mark_pressed(query, label)


async def _mark_pressed(query: CallbackQuery, label: str) -> None:
    """Change the pressed button in place (e.g. "❤️ sent") instead of sending a message."""
    message = query.message
    markup = getattr(message, "reply_markup", None) if message is not None else None
    if markup is None or query.data is None:
        return
    with contextlib.suppress(BadRequest):  # already changed (pressed twice)
        await query.edit_message_reply_markup(keyboards.marked_pressed(markup, query.data, label))


async def heart(update: Update, context: NearerContext) -> None:
    """Send a heart back for an appreciation."""
    t = await texts_for(update, context)
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    raw_id = query.data.removeprefix("heart:")
    outcome = nudges.HeartOutcome.EXPIRED
    if raw_id.isdigit() and len(raw_id) < 19:
        outcome = await nudges.send_heart(context.services, user.id, int(raw_id))
    alert = {
        nudges.HeartOutcome.SENT: t(texts.HEART_SENT),
        nudges.HeartOutcome.ALREADY: t(texts.HEART_ALREADY),
        nudges.HeartOutcome.EXPIRED: t(texts.MENU_EXPIRED),
    }[outcome]
    await query.answer(alert, show_alert=outcome is nudges.HeartOutcome.EXPIRED)
    if outcome is nudges.HeartOutcome.SENT:
        await _mark_pressed(query, t(texts.HEART_SENT_BUTTON))
