#!/bin/sh
# Make sure Debian's PostgreSQL server is installed, for the tests' throwaway servers
# (sandbox/postgres.py). Quick and silent when it is already there; installs it when missing
# (as root, or through sudo when that is available).
set -eu

if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
    exit 0
fi

echo "PostgreSQL is missing; installing Debian's postgresql package for the tests"
if [ "$(id -u)" -eq 0 ]; then
    run=""
elif command -v sudo >/dev/null 2>&1; then
    run="sudo"
else
    echo "cannot install PostgreSQL: run as root, or install the postgresql package" >&2
    exit 1
fi
$run env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    postgresql postgresql-client >/dev/null
# The package starts a cluster of its own; the tests never use it, so it need not run.
if command -v pg_ctlcluster >/dev/null 2>&1; then
    for version in /usr/lib/postgresql/*; do
        $run pg_ctlcluster "$(basename "$version")" main stop 2>/dev/null || true
    done
fi
