#!/bin/sh
# A throwaway PostgreSQL server for the reproductions here: unix socket only, fsync on.
#   . ./server.sh; pg_up [extra postgresql.conf lines...]; ...; pg_down
# PGBIN picks the server (default /usr/lib/postgresql/15/bin). As root the server runs as the
# postgres account. PGHOST/PGPORT/PGUSER/PGDATABASE are exported for psql and pgbench.
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
pg_as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_up() {
  PGWORK=$(mktemp -d "${TMPDIR:-/tmp}/pg-g2-XXXXXX")
  chmod 755 "$PGWORK"
  [ "$(id -u)" = 0 ] && chown postgres: "$PGWORK"
  pg_as "$PGBIN/initdb" -D "$PGWORK/data" -U postgres -A trust -E UTF8 --locale C --no-instructions >"$PGWORK/initdb.log" 2>&1 || { cat "$PGWORK/initdb.log"; return 1; }
  {
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$PGWORK'"
    echo "port = 5432"
    echo "fsync = on"
    echo "max_connections = 100"
    echo "shared_buffers = 32MB"
    echo "deadlock_timeout = 20ms"
    echo "track_commit_timestamp = on"
    echo "lc_messages = 'C'"
    echo "log_line_prefix = '%m [%p] %v %x '"
    for line in "$@"; do echo "$line"; done
  } >>"$PGWORK/data/postgresql.conf"
  pg_as "$PGBIN/pg_ctl" -D "$PGWORK/data" -l "$PGWORK/server.log" -w -t 60 start >/dev/null || { tail -20 "$PGWORK/server.log"; return 1; }
  export PGHOST="$PGWORK" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
}
pg_down() {
  pg_as "$PGBIN/pg_ctl" -D "$PGWORK/data" -m fast -w stop >/dev/null 2>&1
  if [ -n "${KEEP:-}" ]; then echo "kept $PGWORK"; else rm -rf "$PGWORK"; fi
}
