#!/bin/sh
# One bounded run of g2.pgbench on a throwaway server, then check.py over what it logged.
#   CLIENTS=10 SECONDS_=120 UPD=0 RODECL=0 PGBIN=/usr/lib/postgresql/15/bin ./run.sh [OUTDIR]
# ISO="REPEATABLE READ": the checker's own test (snapshot isolation allows G2-item).
# UPD=1: plain UPDATE of pre-created rows instead of INSERT ... ON CONFLICT DO UPDATE.
# RODECL=1: transactions that only read are declared READ ONLY.
# SHAPE=1: only the cycle's three kinds of transaction (pivot, writer, reader) instead of the random mix.
# LOGALL=1: the server logs every statement with its completion time (log_min_duration_statement=0).
# OUTDIR (default ./out-<time>) gets log.csv, final.csv, pgbench.txt, check.txt and, when a cycle
# was found, server.log. Exit: check.py's (0 nothing found, 1 a cycle or problem), 2 failure.
cd "$(dirname "$0")"
ISO=${ISO:-SERIALIZABLE}; CLIENTS=${CLIENTS:-10}; SECONDS_=${SECONDS_:-120}; UPD=${UPD:-0}; RODECL=${RODECL:-0}; WINDOW=${WINDOW:-64}; SHAPE=${SHAPE:-0}
OUT=${1:-out-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
. ./server.sh
extra=""
[ "${LOGALL:-0}" = 1 ] && extra="log_min_duration_statement = 0"
pg_up "$extra" || exit 2
"$PGBIN/postgres" --version | tee "$OUT/pgbench.txt"
# enough pre-created keys for UPD=1: 5 per WINDOW transactions, at up to ~3000 started/s
psql -X -q -v ON_ERROR_STOP=1 -v prekeys=$((5 * SECONDS_ * 3000 / WINDOW + 1000)) -f schema.sql || { pg_down; exit 2; }
echo "isolation=$ISO clients=$CLIENTS seconds=$SECONDS_ upd=$UPD rodecl=$RODECL window=$WINDOW shape=$SHAPE" | tee -a "$OUT/pgbench.txt"
"$PGBIN/pgbench" -n -M simple -c "$CLIENTS" -j 2 -T "$SECONDS_" --failures-detailed \
  -D iso="$ISO" -D shape="$SHAPE" -D upd="$UPD" -D rodecl="$RODECL" -D window="$WINDOW" -f g2.pgbench >>"$OUT/pgbench.txt" 2>&1
grep -E 'aborted|number of (transactions actually|failed)|serialization|deadlock|tps' "$OUT/pgbench.txt"
psql -X -q -c "\\copy (SELECT l.*, CASE WHEN xid IS NOT NULL THEN pg_xact_commit_timestamp(xid::text::xid) END AS committed FROM log l ORDER BY tx) TO '$OUT/log.csv' WITH (FORMAT csv, HEADER)"
psql -X -q -c "\\copy (SELECT k, v FROM append_0 UNION ALL SELECT k, v FROM append_1 UNION ALL SELECT k, v FROM append_2) TO '$OUT/final.csv' WITH (FORMAT csv, HEADER)"
python3 check.py "$OUT/log.csv" "$OUT/final.csv" >"$OUT/check.txt"
rc=$?
head -3 "$OUT/check.txt"
[ $rc = 1 ] && cp "$PGWORK/server.log" "$OUT/server.log"
pg_down
exit $rc
