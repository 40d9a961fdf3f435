"""The pure domain: no I/O, no clock, no Telegram, no SQL. Every function is given `now`."""
