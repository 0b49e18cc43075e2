#!/bin/sh
# Holds backend $S2PID at the entry of ReleasePredicateLocks with gdb (see interleave.sql).
# hold.sh start | reached | release. State files live in $HOLD_DIR.
set -e
case "$1" in
start)
  rm -f "$HOLD_DIR/attached" "$HOLD_DIR/reached" "$HOLD_DIR/go"
  gdb -q -nx -batch -iex 'set debuginfod enabled off' -p "$S2PID" \
    -ex 'break ReleasePredicateLocks' \
    -ex "shell touch '$HOLD_DIR/attached'" \
    -ex 'continue' \
    -ex 'bt 6' \
    -ex "shell touch '$HOLD_DIR/reached'" \
    -ex "shell while [ ! -e '$HOLD_DIR/go' ]; do sleep 0.05; done" \
    -ex 'detach' >"$HOLD_DIR/gdb.log" 2>&1 &
  echo $! >"$HOLD_DIR/gdb.pid"
  while [ ! -e "$HOLD_DIR/attached" ]; do sleep 0.05; done ;;
reached)
  while [ ! -e "$HOLD_DIR/reached" ]; do sleep 0.05; done
  echo "-- T2's backend is stopped in:"; grep -E '^#' "$HOLD_DIR/gdb.log" | sed 's/^/--   /' ;;
release)
  touch "$HOLD_DIR/go"
  while kill -0 "$(cat "$HOLD_DIR/gdb.pid")" 2>/dev/null; do sleep 0.05; done ;;
esac
