"""Versioned schema migrations. Append new steps; never edit a step that has shipped."""

from __future__ import annotations

# Each entry upgrades the schema from version N to N+1 (its index + 1). Times are Unix seconds
# (UTC); local dates are ISO 'YYYY-MM-DD' in the pair's time zone.
MIGRATIONS: tuple[str, ...] = (
    # 1: people, pairs, invites, prompts, answers and the durable outbox.
    """
    CREATE TABLE people (
        user_id      INTEGER PRIMARY KEY,
        chat_id      INTEGER NOT NULL,
        first_name   TEXT    NOT NULL,
        pair_id      INTEGER REFERENCES pairs(id) ON DELETE SET NULL,
        reminders_on INTEGER NOT NULL DEFAULT 0,
        nudges_on    INTEGER NOT NULL DEFAULT 1,
        quiet_start  TEXT    NOT NULL DEFAULT '22:00',
        quiet_end    TEXT    NOT NULL DEFAULT '08:00',
        blocked_at   INTEGER,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL
    );
    CREATE INDEX people_pair ON people(pair_id) WHERE pair_id IS NOT NULL;

    CREATE TABLE pairs (
        id                  INTEGER PRIMARY KEY,
        member_a            INTEGER NOT NULL,
        member_b            INTEGER NOT NULL,
        timezone            TEXT    NOT NULL,
        send_time           TEXT    NOT NULL,
        frequency           TEXT    NOT NULL DEFAULT 'daily',
        depth               TEXT    NOT NULL DEFAULT 'grow',
        disabled_categories TEXT    NOT NULL DEFAULT '',
        enabled_sensitive   TEXT    NOT NULL DEFAULT '',
        exercise_weekday    INTEGER NOT NULL DEFAULT 5,
        seed                INTEGER NOT NULL,
        next_due_at         INTEGER,
        paused              INTEGER NOT NULL DEFAULT 0,
        pause_ends_at       INTEGER,
        created_at          INTEGER NOT NULL,
        ended_at            INTEGER,
        CHECK (member_a <> member_b)
    );
    CREATE INDEX pairs_due ON pairs(next_due_at) WHERE next_due_at IS NOT NULL;
    CREATE INDEX pairs_member_a ON pairs(member_a);
    CREATE INDEX pairs_member_b ON pairs(member_b);

    CREATE TABLE invites (
        code       TEXT    PRIMARY KEY,
        inviter_id INTEGER NOT NULL REFERENCES people(user_id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at    INTEGER,
        used_by    INTEGER
    );
    CREATE INDEX invites_inviter ON invites(inviter_id);

    CREATE TABLE prompts (
        id          INTEGER PRIMARY KEY,
        pair_id     INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
        kind        TEXT    NOT NULL,
        content_id  TEXT,
        text        TEXT    NOT NULL,
        author_id   INTEGER,
        local_date  TEXT    NOT NULL,
        sent_at     INTEGER NOT NULL,
        revealed_at INTEGER,
        skipped_at  INTEGER
    );
    -- At most one question (and one exercise) per pair per local day, even across restarts.
    CREATE UNIQUE INDEX prompts_one_per_day ON prompts(pair_id, local_date, kind)
        WHERE skipped_at IS NULL;
    CREATE INDEX prompts_open ON prompts(pair_id)
        WHERE revealed_at IS NULL AND skipped_at IS NULL AND kind = 'question';
    CREATE INDEX prompts_pair ON prompts(pair_id, id);

    CREATE TABLE answers (
        prompt_id   INTEGER NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
        user_id     INTEGER NOT NULL,
        kind        TEXT    NOT NULL,
        text        TEXT    NOT NULL,
        file_id     TEXT,
        chat_id     INTEGER NOT NULL,
        message_id  INTEGER NOT NULL,
        answered_at INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        PRIMARY KEY (prompt_id, user_id)
    );
    CREATE INDEX answers_message ON answers(chat_id, message_id);
    CREATE INDEX answers_user ON answers(user_id);

    -- Which bot message carried which prompt, so a reply finds its question.
    CREATE TABLE sent_messages (
        chat_id    INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        prompt_id  INTEGER NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
        PRIMARY KEY (chat_id, message_id)
    ) WITHOUT ROWID;
    CREATE INDEX sent_messages_prompt ON sent_messages(prompt_id);

    -- Everything the bot owes someone: pending -> claimed -> sent | failed.
    CREATE TABLE outbox (
        id          INTEGER PRIMARY KEY,
        user_id     INTEGER NOT NULL,
        chat_id     INTEGER NOT NULL,
        kind        TEXT    NOT NULL,
        prompt_id   INTEGER REFERENCES prompts(id) ON DELETE CASCADE,
        payload     TEXT    NOT NULL DEFAULT '{}',
        priority    INTEGER NOT NULL,
        status      TEXT    NOT NULL DEFAULT 'pending',
        attempts    INTEGER NOT NULL DEFAULT 0,
        part        INTEGER NOT NULL DEFAULT 0,
        not_before  INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        claimed_at  INTEGER,
        finished_at INTEGER,
        error       TEXT
    );
    CREATE INDEX outbox_pending ON outbox(priority, id) WHERE status = 'pending';
    CREATE INDEX outbox_claimed ON outbox(id) WHERE status = 'claimed';
    CREATE INDEX outbox_user ON outbox(user_id);
    """,
    # 2: nudges, reminders, questions written by partners, reactions and settings columns.
    """
    ALTER TABLE people ADD COLUMN reminder_hours INTEGER NOT NULL DEFAULT 4;
    ALTER TABLE pairs ADD COLUMN nudge_time TEXT NOT NULL DEFAULT '19:00';
    ALTER TABLE pairs ADD COLUMN nudge_frequency TEXT NOT NULL DEFAULT 'daily';
    ALTER TABLE pairs ADD COLUMN next_nudge_at INTEGER;
    ALTER TABLE pairs ADD COLUMN paused_by INTEGER;
    CREATE INDEX pairs_nudge_due ON pairs(next_nudge_at) WHERE next_nudge_at IS NOT NULL;
    CREATE INDEX pairs_pause_ends ON pairs(pause_ends_at) WHERE pause_ends_at IS NOT NULL;
    CREATE INDEX prompts_open_sent ON prompts(sent_at)
        WHERE revealed_at IS NULL AND skipped_at IS NULL AND kind = 'question';

    CREATE TABLE nudges (
        id           INTEGER PRIMARY KEY,
        pair_id      INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
        user_id      INTEGER NOT NULL,
        content_id   TEXT    NOT NULL,
        local_date   TEXT    NOT NULL,
        sent_at      INTEGER NOT NULL,
        gift_at      INTEGER,
        heart_at     INTEGER,
        UNIQUE (pair_id, user_id, local_date)
    );
    CREATE INDEX nudges_user ON nudges(user_id, id);

    CREATE TABLE nudge_messages (
        chat_id    INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        nudge_id   INTEGER NOT NULL REFERENCES nudges(id) ON DELETE CASCADE,
        PRIMARY KEY (chat_id, message_id)
    ) WITHOUT ROWID;

    CREATE TABLE reminders_sent (
        prompt_id INTEGER NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
        user_id   INTEGER NOT NULL,
        sent_at   INTEGER NOT NULL,
        PRIMARY KEY (prompt_id, user_id)
    ) WITHOUT ROWID;

    CREATE TABLE custom_questions (
        id         INTEGER PRIMARY KEY,
        pair_id    INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
        author_id  INTEGER NOT NULL,
        text       TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        prompt_id  INTEGER REFERENCES prompts(id) ON DELETE SET NULL,
        used_at    INTEGER
    );
    CREATE INDEX custom_questions_unused ON custom_questions(pair_id, id) WHERE used_at IS NULL;

    CREATE TABLE reactions (
        prompt_id  INTEGER NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
        user_id    INTEGER NOT NULL,
        kind       TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (prompt_id, user_id, kind)
    ) WITHOUT ROWID;

    CREATE TABLE invite_failures (
        user_id      INTEGER PRIMARY KEY,
        window_start INTEGER NOT NULL,
        failures     INTEGER NOT NULL
    );
    """,  # 3: small operational facts, such as when the scheduler last ticked.
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    """,  # 4: which message became a nudge's gift, so the same message handled twice (updates are
    # repeated after a crash) is not passed on twice.
    """
    ALTER TABLE nudges ADD COLUMN gift_chat_id INTEGER;
    ALTER TABLE nudges ADD COLUMN gift_message_id INTEGER;
    CREATE INDEX nudges_gift_message ON nudges(gift_chat_id, gift_message_id)
        WHERE gift_message_id IS NOT NULL;
    """,
    # 5: ended pairs schedule nothing (their due nudge once stalled the tick); outbox rows name
    # the person whose words or name they carry (deleted with them), coalescable notices, a cap
    # on what one chat has in flight, per-person daily allowances, and no unused invite left by
    # someone who is paired (an old link could pair them again without asking).
    """
    UPDATE pairs SET next_due_at = NULL, next_nudge_at = NULL, pause_ends_at = NULL
        WHERE ended_at IS NOT NULL;
    ALTER TABLE outbox ADD COLUMN about_user_id INTEGER;
    ALTER TABLE outbox ADD COLUMN coalesce_key TEXT;
    CREATE INDEX outbox_about ON outbox(about_user_id) WHERE about_user_id IS NOT NULL;
    CREATE UNIQUE INDEX outbox_coalesce ON outbox(coalesce_key)
        WHERE coalesce_key IS NOT NULL AND status = 'pending';
    CREATE INDEX outbox_claimed_chat ON outbox(chat_id) WHERE status = 'claimed';
    -- What was sent or given up needs no words any more.
    UPDATE outbox SET payload = '{}' WHERE status IN ('sent', 'failed');
    CREATE TABLE action_counts (
        user_id      INTEGER NOT NULL,
        action       TEXT    NOT NULL,
        window_start INTEGER NOT NULL,
        count        INTEGER NOT NULL,
        PRIMARY KEY (user_id, action)
    ) WITHOUT ROWID;
    DELETE FROM invites WHERE used_at IS NULL AND inviter_id IN
        (SELECT user_id FROM people WHERE pair_id IS NOT NULL);
    """,
    # 6: each person's own language: the one they chose (/language), and the one their Telegram
    # app reports, for messages rendered later from the outbox.
    """
    ALTER TABLE people ADD COLUMN language TEXT;
    ALTER TABLE people ADD COLUMN telegram_language TEXT;
    """,
    # 7: formats, consent and options (issue 13): answers by button (an option or a rating),
    # guess-your-partner (the guess, the message it came in, the partner's verdict); the
    # pair's distance, stage, anniversary, opt-in pace, intimacy heat and short series (the
    # topic and how many of its days were sent); each partner's yes
    # to an opt-in topic or a higher heat (it changes only when both said yes).
    """
    ALTER TABLE answers ADD COLUMN choice INTEGER;
    ALTER TABLE answers ADD COLUMN guess TEXT;
    ALTER TABLE answers ADD COLUMN guess_message_id INTEGER;
    ALTER TABLE answers ADD COLUMN guess_verdict INTEGER;
    CREATE INDEX answers_guess_message ON answers(chat_id, guess_message_id)
        WHERE guess_message_id IS NOT NULL;
    ALTER TABLE pairs ADD COLUMN apart INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE pairs ADD COLUMN stage TEXT;
    ALTER TABLE pairs ADD COLUMN anniversary TEXT;
    ALTER TABLE pairs ADD COLUMN sensitive_pace TEXT NOT NULL DEFAULT 'weekly';
    ALTER TABLE pairs ADD COLUMN heat TEXT NOT NULL DEFAULT 'mild';
    ALTER TABLE pairs ADD COLUMN series TEXT;
    ALTER TABLE pairs ADD COLUMN series_day INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE topic_consents (
        pair_id    INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
        category   TEXT    NOT NULL,
        user_id    INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (pair_id, category, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX topic_consents_user ON topic_consents(user_id);
    """,
    # 8: when each pair was paused, so the journal's calendar can mark paused days; the
    # journal's newest-first pages walk an index instead of sorting every revealed question.
    """
    CREATE TABLE pause_spans (
        pair_id    INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
        started_at INTEGER NOT NULL,
        ended_at   INTEGER,
        PRIMARY KEY (pair_id, started_at)
    ) WITHOUT ROWID;
    CREATE INDEX prompts_revealed ON prompts(pair_id, revealed_at, id)
        WHERE revealed_at IS NOT NULL;
    """,
    # 9: the durable inbox. Every update is stored before Telegram is told it arrived, then
    # handled from here, one at a time per lane (a pair's two chats, or one chat); a handled
    # row keeps only its id (to drop a replay) and its times. Times are real milliseconds.
    """
    CREATE TABLE inbox (
        update_id   INTEGER PRIMARY KEY,
        chat_id     INTEGER,
        payload     TEXT    NOT NULL,
        received_at INTEGER NOT NULL,
        claimed_by  TEXT,
        lease_until INTEGER,
        handled_at  INTEGER,
        lane        TEXT    NOT NULL
    );
    CREATE INDEX inbox_waiting ON inbox(lane, update_id) WHERE handled_at IS NULL;
    CREATE INDEX inbox_handled ON inbox(handled_at) WHERE handled_at IS NOT NULL;
    """,
    # 10: each person's own clock: their time zone and send time (NULL: not chosen yet, the
    # pair's own are used), and their compliment nudges: days (ISO weekday numbers, 1 = Monday),
    # time and when the next one is due. Existing members take their pair's zone and time.
    """
    ALTER TABLE people ADD COLUMN timezone TEXT;
    ALTER TABLE people ADD COLUMN send_time TEXT;
    ALTER TABLE people ADD COLUMN nudge_days TEXT NOT NULL DEFAULT '2,5';
    ALTER TABLE people ADD COLUMN nudge_time TEXT NOT NULL DEFAULT '19:00';
    ALTER TABLE people ADD COLUMN next_nudge_at INTEGER;
    CREATE INDEX people_nudge_due ON people(next_nudge_at) WHERE next_nudge_at IS NOT NULL;
    UPDATE people SET
        timezone = (SELECT timezone FROM pairs WHERE pairs.id = people.pair_id),
        send_time = (SELECT send_time FROM pairs WHERE pairs.id = people.pair_id),
        nudge_time = COALESCE(
            (SELECT nudge_time FROM pairs WHERE pairs.id = people.pair_id), '19:00'),
        next_nudge_at = (SELECT next_nudge_at FROM pairs WHERE pairs.id = people.pair_id)
        WHERE pair_id IS NOT NULL;
    UPDATE pairs SET next_nudge_at = NULL;
    """,
    # 11: gentle follow-ups (issue 12): what an inviter was told about an unused invite
    # (declined, expired, opened late; the tick finds expired ones on an index), when a
    # question closed unanswered (no answers after that, never revealed), and the partner
    # whose absence paused the pair (told once, until they answer again).
    """
    ALTER TABLE invites ADD COLUMN told TEXT;
    CREATE INDEX invites_expiring ON invites(expires_at) WHERE used_at IS NULL AND told IS NULL;
    ALTER TABLE prompts ADD COLUMN closed_at INTEGER;
    CREATE INDEX prompts_closing ON prompts(sent_at)
        WHERE revealed_at IS NULL AND skipped_at IS NULL AND closed_at IS NULL
        AND kind = 'question';
    CREATE TABLE absences (
        pair_id  INTEGER PRIMARY KEY REFERENCES pairs(id) ON DELETE CASCADE,
        user_id  INTEGER NOT NULL,
        noted_at INTEGER NOT NULL
    );
    CREATE INDEX absences_user ON absences(user_id);
    """,
    # 12 (issue 12): a message the bot is not sure is an answer
    # (a short aside, a question to the bot, a second answer, or one of several open questions)
    # waits here, with the person's words, until they press a button; it expires after a day.
    """
    CREATE TABLE pending_answers (
        id          INTEGER PRIMARY KEY,
        user_id     INTEGER NOT NULL,
        chat_id     INTEGER NOT NULL,
        message_id  INTEGER NOT NULL,
        prompt_id   INTEGER REFERENCES prompts(id) ON DELETE CASCADE,
        reason      TEXT    NOT NULL,
        kind        TEXT    NOT NULL,
        text        TEXT    NOT NULL,
        file_id     TEXT,
        created_at  INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX pending_answers_message ON pending_answers(chat_id, message_id);
    CREATE INDEX pending_answers_user ON pending_answers(user_id);
    """,
    # 13 (issue 12): the budget of attention: how many messages made a sound for a person on
    # their local day (at most two; the rest arrive silently).
    """
    ALTER TABLE people ADD COLUMN sounds_day TEXT;
    ALTER TABLE people ADD COLUMN sounds INTEGER NOT NULL DEFAULT 0;
    """,
)
