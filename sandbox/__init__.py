"""The sandbox: a local fake of the Telegram Bot API, the harness that runs the real bot against
it on a movable clock, and the demo. Used by the tests, the benchmarks and `make demo`; not part
of the running bot."""
