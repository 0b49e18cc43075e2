#!/bin/sh
# Runs interleave.sql on a throwaway server: held (the anomaly) and not held (the control),
# each with T3 plain and declared READ ONLY. Needs gdb and dblink (contrib).
#   PGBIN=/usr/lib/postgresql/15/bin ./interleave.sh
cd "$(dirname "$0")"
. ./server.sh
pg_up || exit 2
export HOLD_DIR="$PGWORK"
"$PGBIN/postgres" --version
for hold in 1 0; do
  for ro in '' ' READ ONLY'; do
    echo "=== hold=$hold, T3: SERIALIZABLE$ro"
    psql -X -q -v hold=$hold -v ro="$ro" -v conn="host=$PGHOST port=$PGPORT user=postgres dbname=postgres" -f interleave.sql 2>&1
  done
done
pg_down
