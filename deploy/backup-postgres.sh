#!/bin/sh
# Back up Nearer's PostgreSQL database with pg_dump (custom format: restore with pg_restore),
# keeping the last KEEP_DAYS days. Run daily from cron or a systemd timer, e.g.
#   15 3 * * * DATABASE_URL=postgresql://... /opt/nearer/deploy/backup-postgres.sh /var/backups/nearer
# Restore into an empty database: pg_restore --no-owner --dbname="$DATABASE_URL" FILE
set -eu

target="${1:?usage: backup-postgres.sh FOLDER}"
: "${DATABASE_URL:?set DATABASE_URL}"
keep="${KEEP_DAYS:-14}"

umask 077  # the dump holds what people wrote
mkdir -p "$target"
file="$target/nearer-$(date -u +%Y-%m-%dT%H%M%SZ).dump"
pg_dump --format=custom --file="$file.partial" --dbname="$DATABASE_URL"
mv "$file.partial" "$file"
find "$target" -name 'nearer-*.dump' -type f -mtime +"$keep" -delete
echo "backup written to $file"
