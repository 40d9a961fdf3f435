"""`python -m bench`: run the benchmarks and print the figures (see bench.cli)."""

from bench.cli import main

raise SystemExit(main())
