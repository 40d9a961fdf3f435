#!/bin/sh
# The Mini App's browser tests drive Debian's Chromium (never a browser download). Install it
# when it is missing; apt-get needs root, which CI and the development machines have.
set -eu
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "chromium is missing: install Debian's chromium package (apt-get install chromium)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
