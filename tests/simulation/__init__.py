"""A year in the life: a seeded population of couples living with the real bot.

`population` draws the people and what they do, `driver` runs the real Application against the
fake Bot API on a clock that jumps from event to event, and `oracle` is an independent model of
what each person must receive, checked as the run goes. `storage_scan` looks for what a
deleted person left behind in the database. Replay a run with `NEARER_SIM_SEED=<seed>`.
"""
