#!/usr/bin/env python3
"""A faultline stdio adapter (docs/stdio.md) for MariaDB with Galera: list-append and rw-register.

faultline starts one per client thread with FAULTLINE_NODE, FAULTLINE_ADDRESS (HOST:PORT of the
node's MariaDB) and FAULTLINE_WORKLOAD, and sends one request per line on stdin:

    {"id": 7, "f": "txn", "value": [["append", 3, 1], ["r", 4, null]]}

Each op is one transaction at the chosen isolation level: START TRANSACTION, one statement per
micro-op, COMMIT. The tables mirror faultline's PostgreSQL target (targets/postgres/sql.ts): each
key is a row (k primary key, v) in one of three tables per workload, the table picked by the FNV-1a
hash of the key's canonical JSON, so a transaction spans tables. The key is stored as its
canonical JSON.
  list-append  append_0..2: v is the list's elements as JSON texts joined by commas; an append is
               one upsert, v = CONCAT(v, ',', x); a read parses "[" + v + "]". No row: null.
  rw-register  register_0..2: v is the value's JSON text; a write is an upsert. No row: null.

Outcomes, honestly (a `fail` that did commit would make the checkers report anomalies that are not
there):
  ok    COMMIT answered OK.
  fail  the transaction certainly did not commit:
        - no connection could be made (nothing was sent);
        - anything went wrong before COMMIT was sent (an error, a lost connection, a timeout):
          without COMMIT, MariaDB rolls the transaction back (explicitly, or when the connection
          closes);
        - COMMIT answered ER_LOCK_DEADLOCK (1213): a certification failure or a brute-force abort
          by a replicated write-set ("WSREP detected deadlock/conflict and aborted the
          transaction"): rolled back;
        - COMMIT answered ER_UNKNOWN_COM_ERROR (1047, "WSREP has not yet prepared node for
          application use"): the node is not in the Primary component and refused the statement;
        - the transaction only reads (committing it or not changes nothing).
  info  COMMIT was sent and anything else happened: the connection was lost or timed out, or the
        server answered another error. 1180 ER_ERROR_DURING_COMMIT ("Error while appending
        streaming replication fragment (provider status: Not connected to Primary Component)") is
        what a node that loses the Primary component while replicating the write-set answers, and
        the write-set may have reached the cluster: seen in a test, a transaction answered so was
        later read by others.

The connection is made on the first op, not at start, so a refused connection fails that op
instead of killing the adapter. After any error the connection is dropped and the next op
reconnects.

Options:
  --isolation repeatable-read|read-committed|serializable   (default repeatable-read, the server's default)
  --sync-wait N      the session's wsrep_sync_wait (default 0: reads may be stale; 1: causal reads)
  --timeout SECONDS  connect, read and write timeout of the connection (default 10)
  --threads N        requests served at once, one connection each (default 1)
  --user, --password, --database   default faultline / faultline / faultline
  --init             instead of serving: create the database and the tables through the first node of
                     FAULTLINE_ADDRESSES (host:port,...) that takes them, then check that every node
                     has them; exit 0 when done (the description's client.init)

Needs pymysql (Debian: python3-pymysql; run with /usr/bin/python3 so Debian's dist-packages is on
the path).
"""

import argparse
import json
import os
import queue
import select
import sys
import threading
import time

try:
    import pymysql
except ImportError:
    sys.stderr.write("galera_adapter: pymysql is missing: apt-get install python3-pymysql, and run this with /usr/bin/python3 "
                     "(Debian's, whose dist-packages holds it; this is %s)\n" % sys.executable)
    sys.exit(3)

TABLE_COUNT = 3
WRITES = {"list-append": "append", "rw-register": "w"}
TABLE_PREFIX = {"list-append": "append", "rw-register": "register"}
ISOLATION = {
    "read-committed": "READ COMMITTED",
    "repeatable-read": "REPEATABLE READ",
    "serializable": "SERIALIZABLE",
}

ER_UNKNOWN_COM_ERROR = 1047  # WSREP has not yet prepared node for application use
ER_LOCK_DEADLOCK = 1213  # deadlock, certification failure, brute-force abort
# COMMIT errors after which the transaction certainly rolled back.
ROLLED_BACK_AT_COMMIT = {ER_UNKNOWN_COM_ERROR: "not-primary", ER_LOCK_DEADLOCK: "conflict"}
ERROR_NAMES = {
    ER_UNKNOWN_COM_ERROR: "not-primary",
    ER_LOCK_DEADLOCK: "conflict",
    1180: "error-during-commit",
    1205: "lock-wait-timeout",
    1317: "interrupted",
    1927: "connection-killed",
    2003: "cannot-connect",
    2006: "server-gone",
    2013: "connection-lost",
}


def log(line):
    sys.stderr.write("%s galera_adapter[%d] %s\n" % (time.strftime("%H:%M:%S"), os.getpid(), line))
    sys.stderr.flush()


def canonical_json(v):
    """The key's canonical JSON, as faultline's canonicalJson writes it (sorted object keys, no spaces)."""
    return json.dumps(v, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def table_index(key_text):
    """FNV-1a over the UTF-16 code units of the key's canonical JSON, as targets/postgres/sql.ts."""
    h = 0x811C9DC5
    data = key_text.encode("utf-16-le")
    for i in range(0, len(data), 2):
        h ^= data[i] | (data[i + 1] << 8)
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h % TABLE_COUNT


def table_names(workload):
    return ["%s_%d" % (TABLE_PREFIX[workload], i) for i in range(TABLE_COUNT)]


def create_tables_sql():
    return [
        "CREATE TABLE IF NOT EXISTS %s (k VARCHAR(255) NOT NULL PRIMARY KEY, v LONGTEXT NOT NULL) ENGINE=InnoDB" % t
        for w in WRITES
        for t in table_names(w)
    ]


def parse_micro_ops(workload, value):
    """The micro-ops, or a string saying why they are not ones `workload` takes (nothing is sent)."""
    if not isinstance(value, list) or not value:
        return "a txn value must be a non-empty list of [f, key, value] micro-ops, got %s" % json.dumps(value)
    write = WRITES[workload]
    for m in value:
        if not isinstance(m, list) or len(m) != 3:
            return "bad micro-op %s: expected [f, key, value]" % json.dumps(m)
        if m[0] not in ("r", write):
            return 'micro-op %s: %s takes "r" and "%s"' % (json.dumps(m), workload, write)
    return value


def is_read_only(micro):
    return all(isinstance(m, list) and m and m[0] == "r" for m in micro)


def statement(workload, m):
    """(sql, args) performing one micro-op."""
    key = canonical_json(m[1])
    table = table_names(workload)[table_index(key)]
    if m[0] == "r":
        return "SELECT v FROM %s WHERE k = %%s" % table, (key,)
    value = json.dumps(m[2], separators=(",", ":"), ensure_ascii=False)
    if workload == "list-append":
        return ("INSERT INTO %s (k, v) VALUES (%%s, %%s) ON DUPLICATE KEY UPDATE v = CONCAT(v, ',', VALUES(v))" % table, (key, value))
    return "INSERT INTO %s (k, v) VALUES (%%s, %%s) ON DUPLICATE KEY UPDATE v = VALUES(v)" % table, (key, value)


def read_result(workload, rows):
    if not rows:
        return None
    v = rows[0][0]
    if isinstance(v, bytes):
        v = v.decode("utf-8")
    return json.loads("[" + v + "]") if workload == "list-append" else json.loads(v)


def describe(e):
    """`conflict (1213): Deadlock found ...` for a MariaDB error, else the exception's name and text."""
    if isinstance(e, pymysql.err.MySQLError) and e.args and isinstance(e.args[0], int):
        code = e.args[0]
        text = e.args[1] if len(e.args) > 1 else ""
        return "%s (%d): %s" % (ERROR_NAMES.get(code, "error"), code, text)
    return "%s: %s" % (type(e).__name__, e)


def server_code(e):
    """The error number MariaDB sent (below 2000), or None for client-side errors (lost connection, timeout)."""
    if isinstance(e, pymysql.err.MySQLError) and e.args and isinstance(e.args[0], int) and e.args[0] < 2000:
        return e.args[0]
    return None


def parse_address(text):
    host, _, port = text.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or not port.isdigit():
        raise ValueError("an address must be HOST:PORT, got %r" % text)
    return host, int(port)


class NotConnected(Exception):
    """The connection could not be made: nothing was sent."""


class Session:
    """One connection to the node and the transactions run on it."""

    def __init__(self, address, args, workload):
        self.address = address
        self.args = args
        self.workload = workload
        self.conn = None

    def connect(self):
        if self.conn is not None:
            # A connection the server closed while idle (killed, restarted, wait_timeout) reads as
            # readable: drop it, so a refused reconnect still proves that nothing was sent.
            sock = getattr(self.conn, "_sock", None)
            try:
                idle_broken = sock is None or bool(select.select([sock], [], [], 0)[0])
            except (OSError, ValueError):
                idle_broken = True
            if not idle_broken:
                return self.conn
            self.close()
        try:
            conn = pymysql.connect(
                host=self.address[0],
                port=self.address[1],
                user=self.args.user,
                password=self.args.password,
                database=self.args.database,
                connect_timeout=self.args.timeout,
                read_timeout=self.args.timeout,
                write_timeout=self.args.timeout,
                autocommit=True,
                charset="utf8mb4",
            )
        except Exception as e:
            raise NotConnected("could not connect to %s:%d: %s" % (self.address[0], self.address[1], describe(e)))
        try:
            with conn.cursor() as c:
                c.execute("SET SESSION TRANSACTION ISOLATION LEVEL %s" % ISOLATION[self.args.isolation])
                c.execute("SET SESSION wsrep_sync_wait = %d" % self.args.sync_wait)
        except Exception as e:
            conn.close()
            raise NotConnected("session setup failed on %s:%d: %s" % (self.address[0], self.address[1], describe(e)))
        self.conn = conn
        return conn

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
        self.conn = None

    def apply(self, req):
        f, value = req.get("f"), req.get("value")
        if f != "txn":
            return {"type": "fail", "value": value, "error": "unknown-op: this adapter runs txn ops (list-append, rw-register), not f=%s" % json.dumps(f)}
        micro = parse_micro_ops(self.workload, value)
        if isinstance(micro, str):
            return {"type": "fail", "value": value, "error": "invalid-value: " + micro}
        read_only = is_read_only(micro)
        commit_sent = False
        try:
            conn = self.connect()
            with conn.cursor() as c:
                c.execute("START TRANSACTION")
                done = []
                for m in micro:
                    sql, params = statement(self.workload, m)
                    c.execute(sql, params)
                    if m[0] == "r":
                        done.append(["r", m[1], read_result(self.workload, c.fetchall())])
                    else:
                        done.append([m[0], m[1], m[2]])
                commit_sent = True
                c.execute("COMMIT")
            return {"type": "ok", "value": done}
        except NotConnected as e:
            return {"type": "fail", "value": value, "error": str(e)}
        except Exception as e:
            self.close()  # rolls back whatever was not committed; the next op reconnects
            code = server_code(e)
            if not commit_sent:
                return {"type": "fail", "value": value, "error": "%s (before COMMIT was sent)" % describe(e)}
            if code in ROLLED_BACK_AT_COMMIT:
                return {"type": "fail", "value": value, "error": "%s (at COMMIT: rolled back)" % describe(e)}
            kind = "fail" if read_only else "info"
            return {"type": kind, "value": value, "error": "%s (after COMMIT was sent)" % describe(e)}


class Adapter:
    def __init__(self, address, args, workload):
        self.out = sys.stdout.buffer
        self.out_lock = threading.Lock()
        self.requests = queue.Queue()
        for _ in range(max(1, args.threads)):
            threading.Thread(target=self._work, args=(Session(address, args, workload),), daemon=True).start()

    def reply(self, message):
        line = (json.dumps(message, separators=(",", ":")) + "\n").encode("utf-8")
        with self.out_lock:
            self.out.write(line)
            self.out.flush()

    def submit(self, line):
        try:
            req = json.loads(line)
        except ValueError:
            log("not a request (not JSON): %r" % line[:200])
            return
        if not isinstance(req, dict) or not isinstance(req.get("id"), int):
            log("not a request (no integer id): %r" % line[:200])
            return
        self.requests.put(req)

    def _work(self, session):
        while True:
            req = self.requests.get()
            try:
                out = session.apply(req)
            except Exception as e:  # a bug here must not leave the op unanswered, nor claim too much
                session.close()
                value = req.get("value")
                out = {"type": "fail" if isinstance(value, list) and is_read_only(value) else "info", "error": "adapter error: %r" % e}
            out["id"] = req["id"]
            if out["type"] != "ok":
                log("op %d: %s: %s" % (req["id"], out["type"], out.get("error")))
            self.reply(out)


def watch_parent():
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)


def init(args):
    """Creates the database and tables once (DDL replicates to every node in total order), then
    waits until every node answers for them. Retries while nodes are not ready (e.g. 1047)."""
    addresses = [parse_address(a) for a in os.environ.get("FAULTLINE_ADDRESSES", "").split(",") if a.strip()]
    if not addresses:
        log("--init needs FAULTLINE_ADDRESSES (host:port,...)")
        return 2
    deadline = time.time() + args.init_timeout
    statements = ["CREATE DATABASE IF NOT EXISTS `%s`" % args.database] + ["USE `%s`" % args.database] + create_tables_sql()
    created = False
    last = None
    while not created and time.time() < deadline:
        for host, port in addresses:
            try:
                conn = pymysql.connect(host=host, port=port, user=args.user, password=args.password, connect_timeout=5, read_timeout=30, write_timeout=30, autocommit=True)
                try:
                    with conn.cursor() as c:
                        for s in statements:
                            c.execute(s)
                finally:
                    conn.close()
                log("created database %s and %d tables through %s:%d" % (args.database, len(statements) - 2, host, port))
                created = True
                break
            except Exception as e:
                last = "%s:%d: %s" % (host, port, describe(e))
        if not created:
            time.sleep(1)
    if not created:
        log("init failed: %s" % last)
        return 1
    want = set(t for w in WRITES for t in table_names(w))
    pending = list(addresses)
    while pending and time.time() < deadline:
        host, port = pending[0]
        try:
            conn = pymysql.connect(host=host, port=port, user=args.user, password=args.password, database=args.database, connect_timeout=5, read_timeout=10, autocommit=True)
            try:
                with conn.cursor() as c:
                    c.execute("SHOW TABLES")
                    have = set(r[0] for r in c.fetchall())
            finally:
                conn.close()
            if want <= have:
                pending.pop(0)
                continue
            last = "%s:%d lacks %s" % (host, port, sorted(want - have))
        except Exception as e:
            last = "%s:%d: %s" % (host, port, describe(e))
        time.sleep(0.5)
    if pending:
        log("init: the tables are not on every node: %s" % last)
        return 1
    log("every node has the tables")
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description="faultline stdio adapter for MariaDB Galera (list-append, rw-register)")
    p.add_argument("--isolation", choices=sorted(ISOLATION), default="repeatable-read")
    p.add_argument("--sync-wait", type=int, default=0)
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--user", default="faultline")
    p.add_argument("--password", default="faultline")
    p.add_argument("--database", default="faultline")
    p.add_argument("--init", action="store_true")
    p.add_argument("--init-timeout", type=float, default=60.0)
    args = p.parse_args(argv)
    if args.init:
        return init(args)
    workload = os.environ.get("FAULTLINE_WORKLOAD", "")
    if workload not in WRITES:
        log("FAULTLINE_WORKLOAD must be list-append or rw-register, got %r" % workload)
        return 2
    try:
        address = parse_address(os.environ.get("FAULTLINE_ADDRESS", ""))
    except ValueError as e:
        log(str(e))
        return 2
    log("serving %s (%s) at %s:%d, %s, wsrep_sync_wait=%d" % (os.environ.get("FAULTLINE_NODE", "?"), workload, address[0], address[1], args.isolation, args.sync_wait))
    threading.Thread(target=watch_parent, daemon=True).start()
    adapter = Adapter(address, args, workload)
    for line in sys.stdin.buffer:
        if line.strip():
            adapter.submit(line)
    log("stdin closed; exiting")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
