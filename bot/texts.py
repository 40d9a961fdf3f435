"""Every user-facing string, in one place, ready for translation.

Texts are Telegram HTML. Anything a person wrote (names, answers, questions from /ask) goes
through `esc` before it is placed in a text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from bot.domain.models import AnswerKind

TELEGRAM_TEXT_LIMIT = 4096
YOUR_PARTNER = "your partner"  # when a partner's name is gone (they deleted their data)
YOUR_PARTNER_START = "Your partner"  # the same at the start of a sentence


@dataclass(frozen=True)
class Plural:
    """A text whose words depend on a number `{count}`: English's one and other forms."""

    one: str
    other: str


def esc(text: str) -> str:
    """Escape untrusted text for Telegram's HTML parse mode."""
    return escape(text, quote=False)


# Commands shown in Telegram's menu: (command, description).
COMMAND_MENU = (
    ("today", "Today's question and who has answered"),
    ("settings", "Time, time zone, topics, depth, reminders, nudges"),
    ("history", "Past questions and both your answers"),
    ("streak", "Days in a row you both answered"),
    ("skip", "Swap today's question (before either of you answers)"),
    ("ask", "Write a question for the two of you"),
    ("pause", "Pause questions: /pause, /pause 3d, /pause until 2026-12-24"),
    ("resume", "Resume questions after a pause"),
    ("reminders", "Turn your reminders on or off"),
    ("invite", "Invite your partner"),
    ("time", "Change the daily send time, e.g. /time 19:30"),
    ("anniversary", "Your anniversary, e.g. /anniversary 2019-06-14"),
    ("timezone", "Change the time zone, e.g. /timezone Europe/Berlin"),
    ("language", "Choose the language I write to you in"),
    ("export", "Download your data as a file"),
    ("deletemydata", "Delete your data and unpair"),
    ("support", "When to look for more support"),
    ("help", "What Nearer can do"),
    ("unpair", "End the pairing"),
)

# Shown before /start (setMyDescription) and on the bot's profile (setMyShortDescription).
BOT_DESCRIPTION = (
    "Nearer sends you and your partner the same small question every day. You each answer "
    "privately; once you've both answered, you see each other's answers. A few minutes a day, "
    "no scores, no pressure. Tap Start, then invite your partner."
)
BOT_SHORT_DESCRIPTION = (
    "One small question a day for the two of you, answered privately, revealed together."
)

START = (
    "Hi {name} 👋 I'm <b>Nearer</b>.\n\n"
    "Every day I send you and your partner the same small question. You each answer "
    "privately, and once you've <i>both</i> answered, I show each of you the other's answer.\n\n"
    "A few minutes a day, no pressure, no scores. Ready? Invite your partner to begin."
)
START_PAIRED = (
    "Hi {name} 👋 You're paired with <b>{partner}</b>. Your daily question comes at {when}. "
    "Send /today to see what's open, or /help for everything I can do."
)
INVITE_BUTTON = "💌 Invite my partner"
INVITE_CREATED = (
    "Here is your personal invite link. Send it to your partner; it works once and for "
    "7 days:\n\n{link}\n\nOr forward them the next message 👇"
)
INVITE_FORWARDABLE = (
    "💌 {name} invited you to <b>Nearer</b>: one small question a day for the two of us, "
    "answered privately and revealed once we've both answered.\n\nTap to join: {link}"
)
INVITE_ALREADY_PAIRED = "You're already paired with <b>{partner}</b>. Send /unpair first if you want to pair with someone else."
INVITE_OFFER = "💌 <b>{inviter}</b> invited you to Nearer, to answer one small question a day together. Pair with {inviter}?"
ACCEPT_BUTTON = "✅ Yes, pair us"
DECLINE_BUTTON = "Not now"
INVITE_DECLINED = "No problem. The link stays valid until it expires if you change your mind."
INVITE_OWN = (
    "That's your own invite link 🙂 Send it to your partner; they open it to pair with you."
)
INVITE_UNKNOWN = (
    "I don't recognise this invite link. Ask your partner to send /invite and share the new link."
)
INVITE_EXPIRED = "This invite link has expired or was already used. Ask your partner to send /invite for a fresh one."
INVITE_YOU_ARE_PAIRED = "You're already paired with <b>{partner}</b>, so you can't accept another invite. Send /unpair first if that's what you want."
INVITE_INVITER_PAIRED = "<b>{inviter}</b> is already paired now, so this invite can't be used."
INVITE_LIMIT = Plural(
    "You've made {count} invite link today, the most for one day. It still works; send it to your partner, or try again tomorrow.",
    "You've made {count} invite links today, the most for one day. The last one still works; send it to your partner, or try again tomorrow.",
)
INVITE_SLOW_DOWN = (
    "That's a lot of invite links in a row. Please wait a few minutes and try again."
)
PAIRED = (
    "🎉 You and <b>{partner}</b> are paired!\n\n"
    "Your question arrives every day at {when}, by your own clock: /time HH:MM and /timezone "
    "change it for you alone.\n\nYour first question comes as soon as you've both said where "
    "you are."
)

QUESTION = "🌱 <b>Today's question</b>\n\n{question}\n\n<i>Reply to this message to answer. {partner} sees your answer only once you've both answered.</i>"
QUESTION_FROM_PARTNER = "🌱 <b>A question from {author}</b>\n\n{question}\n\n<i>Reply to this message to answer. You'll see each other's answers once you've both answered.</i>"
QUESTION_FINISH = "🌱 <b>Today's question: finish the sentence</b>\n\n{question}\n\n<i>Reply to this message with how you'd finish it. {partner} sees your ending only once you've both answered.</i>"
QUESTION_PICK = "🌱 <b>Today's question: pick one</b>\n\n{question}\n\n<i>Tap your pick below. {partner} sees it only once you've both answered. Want to say why? Write it here too.</i>"
QUESTION_RATE = "🌱 <b>Today's question: rate it</b>\n\n{question}\n\n<i>Tap a number from 1 ({low}) to 10 ({high}). {partner} sees it only once you've both answered. Want to say why? Write it here too.</i>"
QUESTION_GUESS = "🎯 <b>Today's question: guess your partner</b>\n\n{question}\n\n<i>Reply to this message with your own answer first; then I'll ask for your guess at {partner}'s. You'll see both answers and both guesses once you've both guessed.</i>"
# Above each question of a short series.
SERIES_NOTE = "📅 <b>{topic}</b>: day {day} of {days}"
# Above a question on a day that matters (the occasion's name comes from content/occasions.toml).
OCCASION_NOTE = "🎉 <b>{name}</b>"
# Under questions from topics that can weigh heavily (rebuilding trust, grief, children).
SUPPORT_LINE = "<i>If this brings up more than a daily question can hold, /support has ideas for where to find help.</i>"
RATING_LABEL = "{value} out of 10"
EXERCISE = "✨ <b>Something to try together: {title}</b> (about {minutes} min)\n\n{how_to}"

SAVED = "✅ Saved. You'll see <b>{partner}</b>'s answer once they've answered too."
SAVED_REPLACED = "✏️ Updated: your new answer replaces the one before. You'll see <b>{partner}</b>'s answer once they've answered too."
SAVED_REVEALING = "✅ Saved, and <b>{partner}</b> has answered too. Here it comes 👇"
ALREADY_REVEALED = "This question's answers were already shared, so your answer stays as it was. A new question comes tomorrow 🌱"
EDIT_AFTER_REVEAL = "Your answer was already shared with {partner}, so the edit doesn't change it."
EDIT_PAIR_ENDED = "That pairing has ended, so your answer stays as it was."
EDIT_SAVED = "✏️ Got your edit: your answer is updated."
REVEAL_HEADER = "💞 <b>You both answered!</b>\n\n<i>{question}</i>\n\n<b>{partner}</b> said:"
REVEAL_FINISH_HEADER = (
    "💞 <b>You both finished it!</b>\n\n<i>{question}</i>\n\n<b>{partner}</b>'s ending:"
)
REVEAL_PICKS = "💞 <b>You both answered!</b>\n\n<i>{question}</i>\n\n<b>You:</b> {mine}\n<b>{partner}:</b> {theirs}"
REVEAL_SAME_PICK = "✨ The same answer!"
REVEAL_THEIR_WORDS = "<b>{partner} added:</b> {words}"
REVEAL_WHY_INVITE = (
    "<i>Why? Reply to this message with your reason and I'll pass it to {partner}.</i>"
)
OWN_WORDS = "in your own words"
PARTNER_OWN_WORDS = "in their own words"
REVEAL_GUESS_HEADER = (
    "💞 <b>You both answered and guessed!</b>\n\n<i>{question}</i>\n\n<b>{partner}</b> said:"
)
REVEAL_GUESSES = "🎯 <b>You guessed</b> {partner} would say: {my_guess}\n🎯 <b>{partner} guessed</b> you'd say: {their_guess}\n<b>You said:</b> {mine}\n\n<i>Did {partner} guess you right? Only you can say.</i>"
VERDICT_YES = "🎯 Yes, that's me"
VERDICT_NO = "🙂 Not quite"
VERDICT_SAVED = "Thanks! I've let {partner} know."
GUESS_VERDICT_RIGHT = "🎯 {name} says your guess was spot on: <i>{question}</i>"
GUESS_VERDICT_NOT_QUITE = "🙂 {name} says your guess wasn't quite it: <i>{question}</i>\nA lovely one to ask about tonight."
WHY_HEADER = "💬 <b>{partner}</b> says why, about <i>{question}</i>:"
GUESS_TALLY = "🎯 Guessing each other so far: {right} of {judged} guesses spot on. Every miss is something new you've learnt."
REVEAL_MEDIA_FALLBACK = "({partner} answered with a {kind} that is no longer available.)"
GUESS_NEXT = (
    "✅ Saved. Now your guess: what do you think <b>{partner}</b> answered? Write it here."
)
GUESS_SAVED = "🎯 Guess saved. You'll see both answers and both guesses once <b>{partner}</b> has guessed too."
GUESS_TEXT_ONLY = (
    "Please send your guess as words, so I can show it beside <b>{partner}</b>'s answer."
)
WHY_SAVED = "✏️ Got your why; it goes beside your pick."
WHY_SENT = "💬 Sent your why to <b>{partner}</b>."
PICK_SAVED = "✅ You picked “{pick}”. You'll see <b>{partner}</b>'s answer once they've answered too. Want to say why? Write it here."
PICK_REVEALING = "✅ You picked “{pick}”, and <b>{partner}</b> has answered too. Here it comes 👇"
PICK_TOO_LATE = "These answers were already shared, so your pick stays as it was."
NO_OPEN_QUESTION = "There's no open question right now. Your next one comes {when} 🌱"
NO_OPEN_QUESTION_PAUSED = "There's no open question right now."
SEVERAL_OPEN = Plural(
    "You have {count} open question. Please <b>reply</b> to the question message you're answering, so I know which one it is. /today lists them.",
    "You have {count} open questions. Please <b>reply</b> to the question message you're answering, so I know which one it is. /today lists them.",
)
NOT_PAIRED = "You're not paired yet. Send /invite to get a link for your partner, or open the link they sent you."
UNSUPPORTED_ANSWER = "I can take an answer as text, a voice note, a video note or a photo (with or without a caption). Could you send it as one of those?"
STALE_REPLY = (
    "That message isn't one of your open questions. Reply to a question from today or send /today."
)

TODAY_HEADER = "<b>Open questions</b>"
TODAY_ITEM = "• {question}\n  {status}"
TODAY_BOTH_WAITING = "neither of you has answered yet"
TODAY_YOU_ANSWERED = "you answered; waiting for {partner}"
TODAY_PARTNER_ANSWERED = "{partner} answered; answer to see theirs"
TODAY_NONE = "Nothing open right now. Your next question comes {when} 🌱"

TIME_USAGE = "Send the time as 24-hour HH:MM, for example <code>/time 19:30</code>."
TIMEZONE_USAGE = (
    "Send a time zone name, a city or a UTC offset, for example <code>/timezone Europe/Berlin</code>, "
    "<code>/timezone Tokyo</code> or <code>/timezone UTC+2</code>."
)
SCHEDULE_CHANGED = "🕰 Done: your daily question now comes at {when}. Next one: {next}."
TIME_IN_QUIET_HOURS = (
    "🔕 That is inside your quiet hours ({quiet}), so it will come without a sound. "
    "You can change your quiet hours in /settings."
)

# --- Issue 12: each person's own clock and waking hours ---
ZONE_ASK = (
    "🌍 Where are you? Tap your time zone so your question comes in your morning and nothing "
    "arrives while you sleep. Or share your location (📎 → Location), or send "
    "<code>/timezone</code> with a city."
)
ZONE_SKIP = "Skip for now"
ZONE_SET = "🌍 Got it: {zone}. Your daily question comes at {when}; next one {next}."
ZONE_SKIPPED = "No problem. Your questions come at {when}; /timezone changes it any time."
ZONE_UNKNOWN = "I couldn't tell a time zone from that. Send <code>/timezone</code> with a city instead, for example <code>/timezone Lisbon</code>."
ZONE_FROM_LOCATION = "📍 Thanks! That looks like {zone}. Your daily question comes at {when}; next one {next}. Your location itself is not kept."

UNPAIR_CONFIRM = "End your pairing with <b>{partner}</b>? Daily questions stop for both of you. Your past answers stay in your history."
UNPAIR_YES = "Yes, unpair"
UNPAIR_NO = "No, keep it"
UNPAIR_DONE = "You're unpaired from <b>{partner}</b>. Take care 💛 Send /invite whenever you want to pair again."
UNPAIR_PARTNER = "<b>{name}</b> ended your pairing on Nearer, so daily questions have stopped. Your past answers stay in your history. Take care 💛"
UNPAIR_KEPT = "Okay, nothing changed. 💛"
MENU_EXPIRED = "This menu has expired. Send the command again to get a fresh one."

HELP = (
    "<b>How Nearer works</b>\n"
    "Every day you and your partner get the same question. Reply to answer; once you've both "
    "answered, you see each other's answers. Some evenings I'll nudge you to write your partner "
    "one appreciation, which goes straight to them.\n\n"
    "<b>Day to day</b>\n"
    "/today: open questions and who has answered\n"
    "/skip: swap today's question (before either of you answers)\n"
    "/ask your question: a question for a coming day\n"
    "/history: past questions with both answers\n"
    "/streak: days in a row you both answered\n\n"
    "<b>Settings</b>\n"
    "/settings: time, time zone, frequency, topics, depth, reminders, nudges, quiet hours\n"
    "/time 19:30 and /timezone Europe/Berlin\n"
    "/reminders on or /reminders off\n"
    "/pause, /pause 3d, /pause 2w, /pause until 2026-12-24, and /resume\n\n"
    "<b>Pairing and privacy</b>\n"
    "/invite: a link for your partner\n"
    "/unpair: end the pairing\n"
    "/export: your data as a file\n"
    "/deletemydata: delete your data\n"
    "/support: when to look for more support"
)
UNKNOWN_COMMAND = "I don't know that command. /help lists what I can do."
ERROR = "Sorry, something went wrong on my side. Please try again in a moment."

KIND_NAMES = {
    AnswerKind.TEXT: "message",
    AnswerKind.VOICE: "voice note",
    AnswerKind.VIDEO_NOTE: "video note",
    AnswerKind.PHOTO: "photo",
}


# Parts of composed texts (see bot.i18n.Texts).
DAY_TODAY = "today"
DAY_TOMORROW = "tomorrow"
NEXT_AT = "{day} at {when}"
NEXT_ONCE_RESUMED = "once you resume"


def utf16_units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji may count as two)."""
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """Return how many characters of `text` fit in `limit` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def chunks(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split already-escaped text into pieces within Telegram's limit, at line or word breaks.

    Splitting never cuts through an HTML entity such as &amp; or a tag, and a formatting span
    cut in two (a spoiler around a long answer) is closed at the end of one piece and opened
    again at the start of the next, so each piece parses on its own.
    """
    pieces: list[str] = []
    rest = text
    while utf16_units(rest) > limit:
        fit = _fitting_prefix(rest, limit)
        cut = rest.rfind("\n", 0, fit)
        if cut < fit // 2:
            cut = rest.rfind(" ", 0, fit)
        if cut < fit // 2:
            cut = fit
            amp = rest.rfind("&", max(0, cut - 8), cut)
            if amp != -1 and ";" not in rest[amp:cut]:
                cut = amp
        tag = rest.rfind("<", 0, cut)
        if tag > max(0, rest.rfind(">", 0, cut)):
            cut = tag  # inside a tag (`<a href="…">` has spaces): cut before it
        piece, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        still_open = _open_tags(piece)
        closing = "".join(f"</{name}>" for name, _ in reversed(still_open))
        pieces.append(piece + closing)
        rest = "".join(opening for _, opening in still_open) + rest
    if rest or not pieces:
        pieces.append(rest)
    return pieces


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^<>]*>")


def _open_tags(html: str) -> list[tuple[str, str]]:
    """The tags opened in `html` and not yet closed, outermost first: (name, opening tag)."""
    stack: list[tuple[str, str]] = []
    for match in _TAG.finditer(html):
        name = match.group(2).lower()
        if not match.group(1):
            stack.append((name, match.group(0)))
        elif stack and stack[-1][0] == name:
            stack.pop()
    return stack


# Compliment nudges -------------------------------------------------------------------------

NUDGE = "💌 <b>A small nudge</b>\n\n{prompt}\n\n<i>Reply to this message with your appreciation and I'll pass it straight to {partner}.</i>"
GIFT_HEADER = "💌 <b>{name} wrote you an appreciation:</b>"
GIFT_SENT = "💌 Sent to {partner}. Thank you for noticing them."
HEART_BUTTON = "❤️ Send a heart back"
HEART_SENT = "❤️ Heart sent."
HEART_ALREADY = "You already sent a heart for this one."
HEART_RECEIVED = "❤️ {name} sent a heart back for your appreciation."

# Reminders -------------------------------------------------------------------------------

REMINDER = "🌱 A gentle reminder: today's question is still waiting for you.\n\n<i>{question}</i>"
REMINDER_PARTNER_ANSWERED = (
    "🌱 {partner} answered today's question; answer to see theirs.\n\n<i>{question}</i>"
)
REMINDERS_USAGE = (
    "Send <code>/reminders on</code> or <code>/reminders off</code>. Reminders are {state} now."
)
REMINDERS_ON = "🔔 Reminders are on: if you haven't answered {hours} hours after the question, I'll remind you once (never during your quiet hours, {quiet})."
REMINDERS_OFF = "🔕 Reminders are off."

# Pause -----------------------------------------------------------------------------------

PAUSE_USAGE = (
    "Send <code>/pause</code> to pause until you resume, <code>/pause 3d</code> for three days, "
    "<code>/pause 2w</code> for two weeks, or <code>/pause until 2026-12-24</code> "
    "(a date after today, within a year)."
)
PAUSED = "⏸ Paused {until}. No questions, nudges or reminders until then. Paused days never break your streak. /resume any time."
PAUSED_UPDATED = "⏸ Still paused, now {until}."
PAUSE_UNTIL_RESUMED = "until you resume"
PAUSE_UNTIL = "until {date}"
PAUSE_UNTIL_TIME = "until {date}, {time} your time"
RESUMED = "▶️ Welcome back! Your next question comes {when}."
PAUSE_ENDED = "▶️ Your pause is over. Your next question comes {when}."
NOT_PAUSED = "You're not paused, so there's nothing to resume. Your next question comes {when}."

# Settings --------------------------------------------------------------------------------

SETTINGS = (
    "<b>Settings</b>\n\n"
    "🕰 Question time: {when}\n"
    "📅 Frequency: {frequency}\n"
    "🗂 Topics: {topics}\n"
    "🌊 Depth: {depth}\n"
    "🔔 Your reminders: {reminders} (after {hours} h)\n"
    "💌 Your nudges: {nudges}\n"
    "🌙 Your quiet hours: {quiet}\n"
    "🌐 Your language: {language}\n\n"
    "<i>Frequency, topics and depth are shared: your partner is told when they change. Your question time and time zone are yours alone.</i>"
)
SETTINGS_TIME = "🕰 <b>When should the daily question come?</b>\nNow: {when}.\n\nPick a time, or send <code>/time HH:MM</code> for any other."
SETTINGS_ZONE = "🌍 <b>Your time zone</b>\nNow: {zone}.\n\nPick one, or send <code>/timezone</code> with a name, a city or a UTC offset."
SETTINGS_FREQUENCY = "📅 <b>How often?</b>\nNow: {frequency}."
SETTINGS_TOPICS = "🗂 <b>Topics</b>\nTap to turn a topic on or off. 🔒 topics are sensitive and only sent if you turn them on."
SETTINGS_DEPTH = "🌊 <b>How deep should questions go?</b>\nNow: {depth}."
SETTINGS_REMINDER_HOURS = "⏰ <b>When should a reminder come?</b>\nHow many hours after the question, if you haven't answered. Now: {hours} h."
SETTINGS_QUIET = "🌙 <b>Your quiet hours</b>\nNo reminders then. Now: {quiet}."
# What a partner changed, told once per short window (several changes become one message).
CHANGES_ONE = "⚙️ <b>{name}</b> {change}."
CHANGES_MANY = "⚙️ <b>{name}</b> changed a few things:\n{changes}"
CHANGES_ITEM = "• {change}"
CHANGE_PAUSED = (
    "paused Nearer {until}. Take the time you need; nothing is lost and your streak is safe"
)
CHANGE_RESUMED = "resumed Nearer. Your next question comes {when}"
CHANGE_SCHEDULE = "changed when your daily question comes: {when}. Next one: {next}"
CHANGE_FREQUENCY = "changed how often questions come: {frequency}"
CHANGE_TOPIC = "turned the topic {topic} {state}"
CHANGE_DEPTH = "set the depth to {depth}"
SETTINGS_LAST_TOPIC = "Keep at least one topic on."
# Opt-in topics: on only when both say yes; either can turn one off alone, silently.
CONSENT_ASK = "🔒 <b>{name}</b> would like to add the topic <b>{topic}</b> to your questions.\n\n<i>{description}</i>\n\nIt turns on only if you say yes too. Either of you can turn it off at any time in /settings, and the other isn't told."
CONSENT_YES = "✅ Yes, turn it on"
CONSENT_NO = "Not now"
CONSENT_ASKED = "I've asked your partner privately. The topic turns on only once they say yes too."
CONSENT_WITHDRAWN = "Your request is withdrawn; the topic stays off."
CONSENT_TURNED_OFF = "Turned off. Your partner isn't told."
CONSENT_DECLINED = "Okay, it stays off. Your partner isn't told what you answered."
CONSENT_DONE = "Thanks, you both said yes."
TOPIC_ON = "🔓 You both said yes: <b>{topic}</b> is on. Its questions start gently and come {pace}. Either of you can turn it off at any time in /settings, without the other being told."
CONSENT_HEAT_ASK = "🔒 <b>{name}</b> would like intimacy questions to go further: <b>{heat}</b>.\n\nThey change only if you say yes too. Either of you can turn them back down at any time in /settings, and the other isn't told."
HEAT_ON = "🔓 You both said yes: intimacy questions can now be <b>{heat}</b>. Either of you can turn them back down at any time in /settings, without the other being told."
HEAT_NAMES = {"mild": "mild", "medium": "warmer", "spicy": "spicy"}
SETTINGS_HEAT = "🌶 <b>Intimacy questions: how far?</b>\nOnly when the intimacy topic is on. Going further needs both your yes; going back down doesn't. Now: {heat}."
SETTINGS_BUTTON_HEAT = "🌶 Intimacy"
PACE_NAMES = {
    "weekly": "about once a week",
    "twice_a_week": "about twice a week",
    "every_other_day": "at most every other day",
}
CHANGE_PACE = "set the pace of opt-in topics: {pace}"
STAGE_NAMES = {
    "new": "new together",
    "established": "a few years in",
    "long_term": "together a long time",
    "": "not said",
}
CHANGE_APART = "set that you live apart, so questions suit a distance"
CHANGE_TOGETHER = "set that you live together"
CHANGE_STAGE = "described your relationship as {stage}"
CHANGE_ANNIVERSARY = "set your anniversary to {day}"
CHANGE_SERIES = "started a short series: {days} days on {topic}, from the next question"
CHANGE_SERIES_STOPPED = "ended your short series"
SETTINGS_SERIES = "📅 <b>A short series</b>\nFive question days on one topic, then back to the usual mix. Your partner is told. Pick a topic:"
SETTINGS_BUTTON_SERIES = "📅 Short series"
SERIES_STOP = "⏹ End the series"
SERIES_STARTED = "Your series starts with the next question. Your partner is told."
SERIES_STOPPED = "The series is over; the usual mix is back."
SETTINGS_PACE = "🐢 <b>Opt-in topics: how often?</b>\nWhen you both turn on a 🔒 topic, its questions come at most this often. Now: {pace}."
SETTINGS_STAGE = (
    "🌱 <b>How long have you been together?</b>\nQuestions suit where you are. Now: {stage}."
)
SETTINGS_BUTTON_PACE = "🐢 Opt-in pace"
SETTINGS_BUTTON_STAGE = "🌱 Stage"
SETTINGS_BUTTON_APART = "🌍 We live apart: {state}"
SETTINGS_EXTRA = "🌍 Living apart: {apart}\n🌱 Stage: {stage}\n🎂 Anniversary: {anniversary}\n🐢 Opt-in topics: {pace}\n🌶 Intimacy questions: {heat}"
ANNIVERSARY_UNSET = "not set (/anniversary YYYY-MM-DD)"
ANNIVERSARY_USAGE = "Send your anniversary as a date, for example <code>/anniversary 2019-06-14</code>. On that day each year an anniversary question replaces the daily one."
ANNIVERSARY_SET = "🎂 Saved: your anniversary is {day}. That day each year, an anniversary question replaces the daily one."
BUTTON_BACK = "« Back"
BUTTON_CLOSE = "Done"
SETTINGS_CLOSED = "⚙️ Settings saved."
ON, OFF = "on", "off"
FREQUENCY_NAMES = {
    "daily": "every day",
    "weekdays": "weekdays",
    "weekends": "weekends",
    "three_a_week": "three times a week (Mon, Wed, Fri)",
}
DEPTH_NAMES = {
    "grow": "grow over time",
    "gentle": "gentle",
    "deeper": "deeper",
    "deepest": "deepest",
}
QUIET_OFF = "none"
SETTINGS_TOPICS_COUNT = "{on} of {total} on"
SETTINGS_BUTTON_TIME = "🕰 Time"
SETTINGS_BUTTON_ZONE = "🌍 Time zone"
SETTINGS_BUTTON_FREQUENCY = "📅 Frequency"
SETTINGS_BUTTON_TOPICS = "🗂 Topics"
SETTINGS_BUTTON_DEPTH = "🌊 Depth"
SETTINGS_BUTTON_QUIET = "🌙 Quiet hours"
SETTINGS_BUTTON_HOURS = "⏰ Reminder timing"
SETTINGS_BUTTON_REMINDERS = "🔔 Reminders: {state}"
SETTINGS_BUTTON_NUDGES = "💌 Nudges: {state}"
HOURS_LABEL = "{hours} h"
SETTINGS_BUTTON_LANGUAGE = "🌐 Language"

# Languages -------------------------------------------------------------------------------

LANGUAGE_MENU = "🌐 <b>Your language</b>\nI write to you in {language}. Your partner chooses their own, so you can each read Nearer in yours."
LANGUAGE_SET = "🌐 Done: from now on I write to you in {language}."
LANGUAGE_UNKNOWN = "I can write in {languages}. Tap one below."

# The operator's figures (/stats for ADMIN_USER_IDS and `python -m bot stats`).
STATS = (
    "Nearer at {at} UTC\n"
    "pairs: {pairs_active} active, {pairs_paused} paused, {pairs_blocked} with a blocked member, {pairs_ended} ended\n"
    "last 7 days: {questions_7d} questions, {answer_rate_7d:.0%} answered, {both_answered_rate_7d:.0%} answered by both\n"
    "last 30 days: {questions_30d} questions, {answer_rate_30d:.0%} answered, {both_answered_rate_30d:.0%} answered by both\n"
    "messages queued: {messages_queued}"
)

# Day to day ------------------------------------------------------------------------------

SKIPPED_NOTE = "🔄 Swapped. Here's a different question for today."
SKIPPED_PARTNER_NOTE = "🔄 {name} swapped today's question for a new one."
SKIP_LIMIT = Plural(
    "You've swapped {count} question today, the most for one day. Today's question stays; tomorrow brings a new one 🌱",
    "You've swapped {count} questions today, the most for one day. Today's question stays; tomorrow brings a new one 🌱",
)
ASK_LIMIT = Plural(
    "You've written {count} question today, the most for one day. Send more tomorrow 🙂",
    "You've written {count} questions today, the most for one day. Send more tomorrow 🙂",
)
SKIP_TOO_LATE = "One of you has already answered today's question, so it stays. /today shows it."
SKIP_NOTHING = "There's no open question to swap right now."
ASK_USAGE = "Write your question after the command, for example <code>/ask What song reminds you of us?</code> (up to 300 characters)."
ASK_SAVED = Plural(
    "📝 Saved! Your question will be one of the coming days' questions, marked as from you ({count} waiting).",
    "📝 Saved! Your question will be one of the coming days' questions, marked as from you ({count} waiting).",
)
ASK_TOO_MANY = Plural(
    "You have {count} question waiting already. Let it be asked first 🙂",
    "You have {count} questions waiting already. Let a few of them be asked first 🙂",
)
HISTORY_EMPTY = "Nothing here yet. Once you've both answered a question, it shows up here."
HISTORY_HEADER = "📖 <b>Your history</b> ({first}–{last} of {total})"
HISTORY_ENTRY = "<b>{date}</b> · <i>{question}</i>\n<b>You:</b> {mine}\n<b>{partner}:</b> {theirs}"
HISTORY_PICK = "{pick} · {why}"
HISTORY_GUESS = "{answer} · guessed: {guess}{mark}"
HISTORY_GUESS_RIGHT = " 🎯"
HISTORY_NEWER = "« Newer"
HISTORY_OLDER = "Older »"
HISTORY_DELETED = "(deleted)"
STREAK = Plural(
    "🔥 You've both answered {count} question in a row.",
    "🔥 You've both answered {count} questions in a row.",
)
STREAK_NONE = (
    "🌱 No streak right now, and that's okay. Answer today's question together to start one."
)
STREAK_MILESTONE = Plural(
    "🎉 {count} question in a row, answered together. That's a lovely habit you two are building.",
    "🎉 {count} questions in a row, answered together. That's a lovely habit you two are building.",
)
REACT_HEART = "❤️"
REACT_TALK = "💬 Let's talk about this tonight"
REACTED = "Sent to {partner}."
REACTED_ALREADY = "Already sent."
REACTION_HEART = "❤️ {name} loved your answer to: <i>{question}</i>"
REACTION_TALK = "💬 {name} would like to talk about your answer tonight: <i>{question}</i>"

# Privacy and support ---------------------------------------------------------------------

DELETE_CONFIRM = (
    "🗑 <b>Delete your data?</b>\n\n"
    "This deletes your answers, the appreciations you wrote, your questions from /ask, your "
    "settings and everything else I store about you, and ends your pairing. {partner_note}"
    "It can't be undone. You may want to /export first."
)
DELETE_PARTNER_NOTE = "{partner} will be told you left, but nothing of what you wrote is shared. "
DELETE_YES = "Yes, delete everything"
DELETE_NO = "No, keep my data"
DELETE_DONE = "Your data is deleted. Thank you for the time you spent here 💛 Send /start if you ever want to come back."
DELETE_KEPT = "Okay, nothing was deleted."
# Carries no name: nothing of the person who deleted their data may stay in the outbox.
DELETE_PARTNER = "Your partner deleted their Nearer data, so your pairing has ended. Your own answers stay in your /history. Take care 💛"
DELETED_QUESTION = "(a question written by a partner who has since deleted their data)"
EXPORT_FILENAME = "nearer-export.json"
EXPORT_CAPTION = "📦 Your Nearer data: your answers, the questions, your settings, and your partner's answers only where they were shared with you."
SUPPORT = (
    "💛 <b>Nearer is not therapy</b>\n\n"
    "It's a small daily habit for staying curious about each other. Some things need more than "
    "a daily question. Consider talking to a couples therapist or coach if:\n"
    "• the same argument keeps coming back without getting anywhere,\n"
    "• you feel unsafe, controlled or afraid with your partner,\n"
    "• trust was broken and it's hard to find a way forward together,\n"
    "• you feel distant for a long time, or are thinking about separating,\n"
    "• stress, grief or a big change is weighing on you both.\n\n"
    "Looking for help is a sign of care, not failure. If you are in danger, contact your local "
    "emergency number."
)

# Blocking and coming back ----------------------------------------------------------------

RESUME_PARTNER_AWAY = "⏸ I still can't reach your partner on Telegram, so questions stay paused for now. I'll let you know when they're back."
PARTNER_BACK = "👋 <b>{name}</b> is reachable again. Send /resume whenever you're both ready for questions again."
PARTNER_UNREACHABLE = "⏸ I can't reach <b>{name}</b> on Telegram right now (they may have blocked me), so I've paused your questions. Nothing is lost; I'll let you know when they're back."
WELCOME_BACK = "👋 Welcome back! Your pairing with <b>{partner}</b> is paused while you were away. Send /resume to start the daily questions again."

# Intake and fairness ---------------------------------------------------------------------

# One note when someone uses up their allowance; nothing more until it refills. Also the
# answer to a pressed button (at most 200 characters).
SLOW_DOWN = (
    "🐢 That's a lot at once! I'll take a short breather and listen again in a few seconds."
)
# The one note when the bot is added to a group, just before it leaves.
GROUP_ADDED = "👋 Nearer works in private chats only, so I'm leaving this group. Open a private chat with me and send /start to begin."

# The Mini App (bot/web): the chat buttons that open it, and every word its pages show. The
# page reads WEBAPP from the JSON the server embeds in it; keys are what app.js looks up.
WEBAPP_MENU_BUTTON = "Journal"
WEBAPP_OPEN_JOURNAL = "📖 Open the journal"
WEBAPP_OPEN_SETTINGS = "⚙️ Open settings in the app"
WEBAPP = {
    "title": "Nearer",
    "tab_journal": "Journal",
    "tab_calendar": "Calendar",
    "tab_settings": "Settings",
    "search": "Search your answers",
    "all_topics": "All topics",
    "partner_written": "Questions you wrote",
    "all_formats": "All formats",
    "format_text": "Text",
    "format_voice": "Voice notes",
    "format_video_note": "Video notes",
    "format_photo": "Photos",
    "you": "You",
    "partner_gone": "Your partner",
    "deleted": "(deleted)",
    "empty": "Nothing here yet. Once you’ve both answered a question, it shows up here.",
    "no_match": "No answers match.",
    "loading": "Loading…",
    "play": "Play",
    "streak": "{count} in a row",
    "streak_none": "Answer today’s question together to start a streak.",
    "legend_answered": "both answered",
    "legend_open": "not both answered",
    "legend_paused": "paused",
    "previous_month": "Previous month",
    "next_month": "Next month",
    "shared": "For both of you",
    "personal": "Just for you",
    "send_time": "Question time",
    "timezone": "Time zone",
    "frequency": "How often",
    "depth": "Depth",
    "topics": "Topics",
    "topic_opt_in": "opt-in",
    "reminders": "Reminder if I haven’t answered",
    "reminder_hours": "Remind me after",
    "hours": "{hours} h",
    "nudges": "Evening nudges",
    "quiet": "Quiet hours",
    "quiet_none": "none",
    "language": "Language",
    "anniversary": "Anniversary",
    "pause": "Pause",
    "paused_until": "Paused until {until}",
    "paused_open": "Paused until one of you resumes",
    "pause_3d": "Pause 3 days",
    "pause_2w": "Pause 2 weeks",
    "pause_open": "Pause until resumed",
    "resume": "Resume",
    "saved": "Saved. {partner} will be told.",
    "saved_personal": "Saved.",
    "last_topic": "Keep at least one topic on.",
    "partner_away": "Your partner can’t get messages from me right now, so questions stay paused.",
    "not_paired": "You’re not paired yet. Send /invite in the chat to get a link for your partner.",
    "refused": "This page could not prove it was opened from Telegram. Close it and open it again from the chat.",
    "slow_down": "That was a lot at once. Try again in a few seconds.",
    "failed": "That didn’t work. Try again in a moment.",
    "invalid": "That value isn’t one I can use.",
    "weekdays": "Mo Tu We Th Fr Sa Su",
    "today": "Today’s question",
    "answer_placeholder": "Your answer (only {partner} sees it, once you’ve both answered)",
    "send": "Send",
    "change_answer": "Edit your answer",
    "your_answer": "Your answer",
    "waiting": "Saved. {partner} sees it once they’ve answered too.",
    "revealed": "You’ve both answered: it’s in your journal now.",
}


# --- Issue 12: follow-ups ---
# /start for someone new: their partner may have invited them already.
HAVE_LINK_BUTTON = "🔗 I have a link"
HAVE_LINK_HELP = (
    "Lovely! Your partner's invite is a link that starts with <b>t.me/</b>. Tap it in the chat "
    "where they sent it: it opens right here, with a button to pair you. If it has run out, "
    "ask them for a fresh one, or invite them yourself 👇"
)
# Under the invite link: Telegram's share sheet (t.me/share), with this line beside the link.
INVITE_SHARE_BUTTON = "📤 Share the link"
INVITE_SHARE_TEXT = "Join me on Nearer: one small question a day, just for the two of us."
# To the invitee after "Not now".
INVITE_DECLINED_TOLD = (
    "No problem. I'll let <b>{inviter}</b> know you said not now, nothing more. The link still "
    "works until it runs out, if you change your mind."
)
# To the invitee who opens a link that ran out unused.
INVITE_RAN_OUT = (
    "This link from <b>{inviter}</b> has run out (links last 7 days). I've let {inviter} know, "
    "so a fresh one can be on its way. Just open it when it arrives."
)
# To the inviter, once per link.
NEW_LINK_BUTTON = "💌 Send a new link"
INVITE_DECLINED_NOTICE = (
    "💌 {name} opened your invite and tapped “Not now”. No pressure: the link still works "
    "until it runs out, and you can always send a new one later."
)
INVITE_EXPIRED_NOTICE = (
    "💌 Your invite link ran out before anyone used it; links last 7 days. Would you like a "
    "fresh one to send your partner?"
)
INVITE_OPENED_LATE_NOTICE = (
    "💌 {name} just opened your invite link, but it had run out. Send a new one and you can "
    "pair right away."
)
# A message written to a question that has closed (it is not saved as an answer).
QUESTION_CLOSED_TODAY = (
    "🔒 That question has closed, so I didn't save this as an answer; your words stay here in "
    "our chat, just for you. Today's question is open: send /today and reply to it there 🌱"
)
QUESTION_CLOSED_NEXT = (
    "🔒 That question has closed, so I didn't save this as an answer; your words stay here in "
    "our chat, just for you. Your next question comes {when} 🌱"
)
PICK_CLOSED = "This question has closed, so your pick wasn't saved. /today shows what's open."
# One partner answered nothing for a few question days while the other did: told once each.
PARTNER_ABSENT = (
    "💛 {name} hasn't answered for a few days, so I've paused your questions for now, and "
    "nothing piles up for either of you. I've let {name} know. When {name} is back, or if "
    "you'd like to carry on anyway, send /resume."
)
ABSENCE_PAUSED = (
    "🌙 Life gets busy. You haven't answered for a few days, so I've paused your questions "
    "with {name} for now; nothing is piling up. I've let {name} know. Send /resume whenever "
    "you like, and your questions start again."
)
# The week's exercise comes as a short teaser; "Show me" opens the how-to in place.
EXERCISE_TEASER = "✨ <b>Something to try together this week</b>\n{title} · about {minutes} min"
SHOW_ME_BUTTON = "👀 Show me"
# --- Issue 12: intent and fewer messages ---

# The reply field under a typed question (plain text, at most 64 characters).
ANSWER_PLACEHOLDER = "Your answer for {partner}…"
ANSWER_PLACEHOLDER_SHORT = "Your answer…"
# Added under the question message, edited in place as answers come in.
STATUS_WAITING = "✓ You answered · waiting for <b>{partner}</b>"
STATUS_YOUR_TURN = "✓ <b>{partner}</b> has answered — your turn"
STATUS_BOTH = "✓ You've both answered"
# A message that is not a reply to the question and may not be an answer.
ASK_SAVE = "Save this as your answer to today's question?\n\n<i>{question}</i>"
ASK_HELP = (
    "If you meant to ask me something, /help has the answers.\n\n"
    "Or save this as your answer to today's question?\n\n<i>{question}</i>"
)
ASK_REPLACE = "You already answered <i>{question}</i>. Replace it with this?"
ASK_WHICH = "Which question is this your answer to?"
SAVE_BUTTON = "Save as my answer"
NOT_ANSWER_BUTTON = "No, just chatting"
REPLACE_BUTTON = "Replace"
KEEP_BUTTON = "Keep the first"
WHICH_BUTTON = "{day}: {words}"
# The asking message once a button was pressed (edited in place).
PENDING_SAVED = "✓ Saved as your answer."
PENDING_REPLACED = "✓ Replaced: your new answer counts."
PENDING_KEPT = "Okay, your first answer stays."
PENDING_DISMISSED = "Okay, I've left it out of your answers."
PENDING_EXPIRED = "That message isn't waiting any more. To answer, reply to the question message."
# A reveal's button after it was pressed.
HEART_SENT_BUTTON = "❤️ sent"
TALK_SENT_BUTTON = "💬 asked for tonight"
