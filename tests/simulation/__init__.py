"""A year in the life: a seeded population of couples living with the real bot.

`population` draws the people and what they do, `driver` runs the real Application against the
fake Bot API on a clock that jumps from event to event, and `oracle` is an independent model of
what each person must receive, checked as the run goes. `storage_scan` looks for what a
deleted person left behind in the database. Replay a run with `NEARER_SIM_SEED=<seed>`.

Among what people do: share a location to set their zone (the oracle knows the zone of each
place from `population.PLACES`), open the week's exercise from its teaser (edited in place, and
never for a former pair), and leave invite links unsent or tap "Not now", after which their
inviter must be told once (declined, ran out, opened late), by the end of their night.
"""
