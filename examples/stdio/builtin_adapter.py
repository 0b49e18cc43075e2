#!/usr/bin/env python3
"""A faultline stdio adapter for faultline's own built-in store (docs/stdio.md).

faultline starts one of these per client thread, with

    FAULTLINE_NODE=n2  FAULTLINE_ADDRESS=/tmp/faultline-XXXX/n2.c.sock  FAULTLINE_WORKLOAD=register

and writes one request per line on stdin:   {"id": 7, "f": "write", "key": 3, "value": 12}
This answers one line per request on stdout: {"id": 7, "type": "ok", "value": 12}

Each request becomes POST /op {f, key?, value} on the node's client socket (HTTP/1.1, JSON); the
node answers {type, value?, error?}. Outcomes are reported honestly:
  ok    the node said it happened;
  fail  it certainly did not: the node said so, refused the request (HTTP 400), or the connection
        could not be made (nothing was sent), or the op only reads (a read that went wrong changed
        nothing);
  info  anything else: a timeout, a reset or a broken reply after the request was sent -- it may
        have been applied.

Requests run on a few worker threads, each with its own kept-alive connection, so replies may come
out of order. The adapter exits as soon as its stdin closes (faultline closed it, or died) or its
parent is gone, even with requests in flight: nobody is left to read their replies.

Python 3.8+, standard library only. Options (after the script name):
  --timeout SECONDS   give up on a request after this long (then: info; fail for reads). Default 10.
  --threads N         requests served at once. Default 4.
Addresses (FAULTLINE_ADDRESS): a unix socket as /PATH or unix:/PATH; TCP as HOST:PORT or tcp:HOST:PORT.
"""

import argparse
import http.client
import json
import os
import queue
import select
import socket
import sys
import threading
import time

# Connecting failed in a way that proves nothing was sent: no socket file, nothing listening,
# the listen backlog full.
NOT_DELIVERED = (FileNotFoundError, ConnectionRefusedError, BlockingIOError)


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over an AF_UNIX stream socket."""

    def __init__(self, socket_path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.socket_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def parse_address(text):
    """('unix', path) or ('tcp', host, port) from unix:/PATH, /PATH, tcp:HOST:PORT or HOST:PORT."""
    if text.startswith("unix:"):
        return ("unix", text[5:])
    if text.startswith("/"):
        return ("unix", text)
    rest = text[4:] if text.startswith("tcp:") else text
    host, _, port = rest.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host and port.isdigit():
        return ("tcp", host, int(port))
    raise ValueError("FAULTLINE_ADDRESS must be /PATH, unix:/PATH, HOST:PORT or tcp:HOST:PORT, got %r" % text)


def is_read_only(f, value):
    if f in ("read", "scan"):
        return True
    if f == "txn" and isinstance(value, list):
        return all(isinstance(m, list) and m and m[0] == "r" for m in value)
    return False


class Store:
    """One worker's kept-alive connection to the node, and the mapping of an op to POST /op."""

    def __init__(self, address, timeout):
        self.address = address
        self.timeout = timeout
        self.conn = None

    def _connection(self):
        # A kept-alive connection the node closed meanwhile (it was killed, or restarted) reads as
        # readable-at-EOF while idle: drop it, so the request goes on a fresh one and a refused
        # connect still proves that nothing was sent.
        if self.conn is not None and self.conn.sock is not None:
            readable, _, _ = select.select([self.conn.sock], [], [], 0)
            if readable:
                self.close()
        if self.conn is None:
            if self.address[0] == "unix":
                self.conn = UnixHTTPConnection(self.address[1], self.timeout)
            else:
                self.conn = http.client.HTTPConnection(self.address[1], self.address[2], timeout=self.timeout)
        return self.conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def apply(self, f, key, has_key, value):
        """The reply fields {type, value?, error?} for one op."""
        body = {"f": f, "value": value}
        if has_key:
            body["key"] = key
        payload = json.dumps(body).encode("utf-8")
        conn = self._connection()
        try:
            if conn.sock is None:
                conn.connect()
        except NOT_DELIVERED as e:
            self.close()
            return {"type": "fail", "error": "not delivered: %s" % e}
        except OSError as e:
            # A connect that timed out or failed otherwise sent nothing either.
            self.close()
            return {"type": "fail", "error": "could not connect: %s" % e}
        try:
            conn.request("POST", "/op", body=payload, headers={"Content-Type": "application/json"})
            res = conn.getresponse()
            status = res.status
            text = res.read()
        except (OSError, http.client.HTTPException) as e:
            # Sent, or partly sent: the node may have applied it.
            self.close()
            kind = "fail" if is_read_only(f, value) else "info"
            return {"type": kind, "error": "%s: %s" % (type(e).__name__, e)}
        if res.will_close:
            self.close()
        try:
            reply = json.loads(text) if text else None
        except ValueError:
            reply = None
        if status == 200 and isinstance(reply, dict) and reply.get("type") in ("ok", "fail", "info"):
            out = {"type": reply["type"]}
            if "value" in reply:
                out["value"] = reply["value"]
            if reply["type"] != "ok":
                out["error"] = reply.get("error", "no reason given")
            return out
        error = "HTTP %d" % status
        if isinstance(reply, dict) and "error" in reply:
            error += ": %s" % reply["error"]
        # 400: the node refused it before running it. Anything else may have run.
        kind = "fail" if status == 400 or is_read_only(f, value) else "info"
        return {"type": kind, "error": error}


class Adapter:
    """Reads requests, runs them on worker threads, writes replies (in completion order)."""

    def __init__(self, address, timeout, threads, out=None):
        self.address = address
        self.timeout = timeout
        self.out = out if out is not None else sys.stdout.buffer
        self.out_lock = threading.Lock()
        self.requests = queue.Queue()
        for _ in range(threads):
            threading.Thread(target=self._work, daemon=True).start()

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
        if not isinstance(req.get("f"), str):
            self.reply({"id": req["id"], "type": "fail", "error": "the request has no f"})
            return
        self.requests.put(req)

    def _work(self):
        store = Store(self.address, self.timeout)
        while True:
            req = self.requests.get()
            try:
                out = store.apply(req["f"], req.get("key"), "key" in req, req.get("value"))
            except Exception as e:  # a bug here must not leave the op unanswered
                store.close()
                out = {"type": "fail" if is_read_only(req["f"], req.get("value")) else "info", "error": "adapter error: %r" % e}
            out["id"] = req["id"]
            self.reply(out)


def log(line):
    sys.stderr.write("%s builtin_adapter[%d] %s\n" % (time.strftime("%H:%M:%S"), os.getpid(), line))
    sys.stderr.flush()


def watch_parent():
    """Exit when the process that started us is gone (stdin EOF is the main signal; this backs it)."""
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)


def main(argv=None):
    parser = argparse.ArgumentParser(description="faultline stdio adapter for the built-in store")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    try:
        address = parse_address(os.environ.get("FAULTLINE_ADDRESS", ""))
    except ValueError as e:
        log(str(e))
        return 2
    node = os.environ.get("FAULTLINE_NODE", "?")
    log("serving %s at %s" % (node, ":".join(str(p) for p in address)))
    threading.Thread(target=watch_parent, daemon=True).start()
    adapter = Adapter(address, args.timeout, max(1, args.threads))
    for line in sys.stdin.buffer:
        if line.strip():
            adapter.submit(line)
    # stdin closed: faultline is done with us (or gone). Requests still running are abandoned.
    log("stdin closed; exiting")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
