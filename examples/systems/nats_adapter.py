#!/usr/bin/env python3
"""A faultline stdio adapter for a NATS JetStream key-value bucket (docs/stdio.md, docs/systems.md).

faultline starts one of these per client thread, with

    FAULTLINE_NODE=n2  FAULTLINE_ADDRESS=198.18.7.2:4222  FAULTLINE_WORKLOAD=register

and writes one request per line on stdin:   {"id": 7, "f": "cas", "key": 3, "value": [1, 2]}
This answers one line per request on stdout: {"id": 7, "type": "ok", "value": [1, 2]}

It speaks the NATS client protocol itself (INFO/CONNECT with headers and no_responders, PUB/HPUB,
SUB, MSG/HMSG, PING/PONG) and uses the key-value bucket as the official clients lay it out: the
bucket B is the stream KV_B on the subjects $KV.B.>, a key K is the subject $KV.B.K, and the value
is the last message on that subject.

  write  publish the value to $KV.B.K with a reply inbox; the stream leader's PubAck says it is stored.
  read   $JS.API.STREAM.MSG.GET.KV_B {"last_by_subj": "$KV.B.K"}: answered by the stream leader only
         (--read leader, the default). --read direct uses $JS.API.DIRECT.GET.KV_B.$KV.B.K instead,
         which any replica answers (what nats.go's kv.Get does on 2.9 when the bucket allows direct
         gets): faster, and allowed to be stale.
  cas    read the key (from the leader) with its sequence; if the value is not the expected one:
         fail "mismatch". Otherwise publish the new value with the header
         Nats-Expected-Last-Subject-Sequence: <that sequence> (0 when the key was never written);
         the stream refuses it with "wrong last sequence" (err_code 10071) when the key changed
         meanwhile: fail "mismatch".

Outcomes, honestly:
  ok    the server said so: a PubAck with a sequence, a read's answer;
  fail  it certainly did not happen: the connection or handshake could not be made (nothing was
        sent), the server answered "no responders" (503: the message reached no subscriber, so no
        stream stored it), the stream refused it with "wrong last sequence", the value did not
        match, or the op only reads (a read that went wrong changed nothing);
  info  anything else after a publish was sent: no PubAck in time, the connection dropped, an error
        we do not know to be a refusal. The write may have been stored.

Values are stored as canonical JSON. Keys: none -> "register", an integer n -> "k<n>", anything
else -> "j" + base64url of its canonical JSON (KV keys allow [-/_=.a-zA-Z0-9]).

Modes:
  nats_adapter.py [--bucket B] [--read leader|direct] [--timeout S] [--threads N]
      the adapter (FAULTLINE_ADDRESS = HOST:PORT of its node).
  nats_adapter.py --init [--bucket B] [--replicas N] [--init-timeout S]
      creates the bucket's stream (replicas: N, default the number of FAULTLINE_ADDRESSES, at most 5), waits
      until it has a leader and every replica is current and every address answers a read through
      it, then exits 0 (1 when it could not within --init-timeout). Writes nothing into the bucket.

Python 3.8+, standard library only.
"""

import argparse
import base64
import json
import os
import queue
import random
import socket
import string
import sys
import threading
import time

WRONG_LAST_SEQUENCE = 10071  # JSStreamWrongLastSequenceErrF: the stream refused the publish
NO_MESSAGE_FOUND = 10037  # JSNoMessageFoundErr: the key has never been written
STREAM_NAME_EXISTS = 10058  # JSStreamNameExistErr: exists with a different configuration


def log(line):
    sys.stderr.write("%s nats_adapter[%d] %s\n" % (time.strftime("%H:%M:%S"), os.getpid(), line))
    sys.stderr.flush()


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def key_token(key, has_key):
    if not has_key or key is None:
        return "register"
    if isinstance(key, int) and not isinstance(key, bool):
        return "k%d" % key
    return "j" + base64.urlsafe_b64encode(canonical(key).encode("utf-8")).decode("ascii").rstrip("=")


def parse_address(text):
    rest = text[4:] if text.startswith("tcp:") else text
    host, _, port = rest.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host and port.isdigit():
        return host, int(port)
    raise ValueError("a NATS address must be HOST:PORT, got %r" % text)


class NotSent(Exception):
    """Nothing of the request reached the server: no connection, or the handshake failed."""


class Lost(Exception):
    """The request was sent (or partly sent) and no answer came: timeout, or the connection dropped."""


class Reply:
    """One message that arrived on a request's inbox."""

    def __init__(self, headers_raw, payload):
        self.status = None
        self.description = ""
        self.headers = {}
        if headers_raw:
            lines = headers_raw.decode("utf-8", "replace").split("\r\n")
            first = lines[0].split(" ", 2)  # NATS/1.0 [code [description]]
            if len(first) >= 2 and first[1].isdigit():
                self.status = int(first[1])
                self.description = first[2] if len(first) > 2 else ""
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if sep:
                    self.headers[name.strip().lower()] = value.strip()
        self.payload = payload

    def json(self):
        try:
            return json.loads(self.payload.decode("utf-8")) if self.payload else None
        except ValueError:
            return None


class Connection:
    """One NATS client connection: a reader thread answering PINGs and routing inbox replies."""

    def __init__(self, address, name, connect_timeout):
        self.address = address
        self.name = name
        self.connect_timeout = connect_timeout
        self.sock = None
        self.alive = False
        self.send_lock = threading.Lock()
        self.lock = threading.Lock()
        self.pending = {}  # token -> [threading.Event, Reply or None]
        self.inbox = "_INBOX." + "".join(random.choice(string.ascii_letters + string.digits) for _ in range(22))
        self.next_token = 0
        self.server_info = {}

    # -- connecting ---------------------------------------------------------------------------

    def connect(self):
        """Opens the connection and completes the handshake; raises NotSent when it cannot."""
        try:
            sock = socket.create_connection(self.address, timeout=self.connect_timeout)
        except OSError as e:
            raise NotSent("could not connect: %s" % e)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            buf = b""
            while b"\r\n" not in buf:
                chunk = sock.recv(65536)
                if not chunk:
                    raise NotSent("the server closed the connection before INFO")
                buf += chunk
            line, _, buf = buf.partition(b"\r\n")
            if not line.startswith(b"INFO "):
                raise NotSent("expected INFO, got %r" % line[:200])
            self.server_info = json.loads(line[5:].decode("utf-8"))
            if not self.server_info.get("headers"):
                raise NotSent("the server does not support headers")
            connect = {
                "verbose": False, "pedantic": False, "tls_required": False, "name": self.name,
                "lang": "python-faultline", "version": "1.0", "protocol": 1,
                "headers": True, "no_responders": True, "echo": True,
            }
            sock.sendall(b"CONNECT " + canonical(connect).encode("utf-8") + b"\r\nPING\r\n")
            while True:
                while b"\r\n" not in buf:
                    chunk = sock.recv(65536)
                    if not chunk:
                        raise NotSent("the server closed the connection during the handshake")
                    buf += chunk
                line, _, buf = buf.partition(b"\r\n")
                if line == b"PONG":
                    break
                if line.startswith(b"-ERR"):
                    raise NotSent("the server refused the connection: %s" % line.decode("utf-8", "replace"))
                if line == b"PING":
                    sock.sendall(b"PONG\r\n")
                # +OK, a newer INFO: ignore
            sock.sendall(("SUB %s.* 1\r\n" % self.inbox).encode("ascii"))
        except NotSent:
            sock.close()
            raise
        except (OSError, ValueError) as e:
            sock.close()
            raise NotSent("handshake failed: %s" % e)
        sock.settimeout(None)
        pending = {}  # this socket's requests: a new connection never sees an old one's
        self.pending = pending
        self.sock = sock
        self.alive = True
        threading.Thread(target=self._read, args=(sock, buf, pending), daemon=True).start()

    def close(self):
        sock, self.sock = self.sock, None
        self.alive = False
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    # -- the reader -----------------------------------------------------------------------------

    def _read(self, sock, buf, pending):
        try:
            while True:
                while b"\r\n" not in buf:
                    chunk = sock.recv(65536)
                    if not chunk:
                        raise EOFError("the server closed the connection")
                    buf += chunk
                line, _, buf = buf.partition(b"\r\n")
                if line.startswith(b"MSG ") or line.startswith(b"HMSG "):
                    parts = line.decode("utf-8", "replace").split(" ")
                    has_headers = parts[0] == "HMSG"
                    total = int(parts[-1])
                    hdr_len = int(parts[-2]) if has_headers else 0
                    subject = parts[1]
                    while len(buf) < total + 2:
                        chunk = sock.recv(65536)
                        if not chunk:
                            raise EOFError("the server closed the connection mid-message")
                        buf += chunk
                    body, buf = buf[:total], buf[total + 2:]
                    self._deliver(pending, subject, Reply(body[:hdr_len], body[hdr_len:]))
                elif line == b"PING":
                    with self.send_lock:
                        sock.sendall(b"PONG\r\n")
                elif line.startswith(b"-ERR"):
                    log("%s: server error: %s" % (self.name, line.decode("utf-8", "replace")))
                # PONG, +OK, INFO: nothing to do
        except (OSError, EOFError, ValueError, IndexError) as e:
            if self.sock is sock:
                log("%s: connection lost: %s" % (self.name, e))
        finally:
            if self.sock is sock:
                self.alive = False
            with self.lock:
                waiting = list(pending.values())
                pending.clear()
            for slot in waiting:
                slot[0].set()  # no reply: the requester sees the connection lost

    def _deliver(self, pending, subject, reply):
        token = subject.rpartition(".")[2]
        with self.lock:
            slot = pending.pop(token, None)
        if slot is not None:
            slot[1] = reply
            slot[0].set()

    # -- requests -------------------------------------------------------------------------------

    def request(self, subject, payload, headers=None, timeout=5.0):
        """The first reply to a request. NotSent when it cannot have reached the server; Lost when
        it was sent and no reply came."""
        if self.sock is None or not self.alive:
            self.close()
            self.connect()
        sock, pending = self.sock, self.pending
        with self.lock:
            self.next_token += 1
            token = str(self.next_token)
            slot = [threading.Event(), None]
            pending[token] = slot
        reply_to = "%s.%s" % (self.inbox, token)
        if headers:
            hdr = "NATS/1.0\r\n" + "".join("%s: %s\r\n" % (k, v) for k, v in headers.items()) + "\r\n"
            hdr = hdr.encode("utf-8")
            head = "HPUB %s %s %d %d\r\n" % (subject, reply_to, len(hdr), len(hdr) + len(payload))
            data = head.encode("utf-8") + hdr + payload + b"\r\n"
        else:
            data = ("PUB %s %s %d\r\n" % (subject, reply_to, len(payload))).encode("utf-8") + payload + b"\r\n"
        try:
            with self.send_lock:
                sock.sendall(data)
        except OSError as e:
            with self.lock:
                pending.pop(token, None)
            self.close()
            raise Lost("connection lost while sending: %s" % e)
        if not slot[0].wait(timeout):
            with self.lock:
                pending.pop(token, None)
            raise Lost("no reply within %.1f s" % timeout)
        if slot[1] is None:
            raise Lost("connection lost before the reply")
        return slot[1]


class KV:
    """One worker's connection and the mapping of register ops onto the bucket."""

    def __init__(self, address, name, bucket, read_mode, timeout):
        self.conn = Connection(address, name, connect_timeout=min(2.0, timeout))
        self.bucket = bucket
        self.stream = "KV_" + bucket
        self.read_mode = read_mode
        self.timeout = timeout

    def subject(self, key, has_key):
        return "$KV.%s.%s" % (self.bucket, key_token(key, has_key))

    def get(self, subject, mode, timeout):
        """(value, seq) of the key, (None, 0) when it was never written. Raises NotSent, Lost, or
        RuntimeError (an error reply) -- every one of them means: we do not know the value."""
        if mode == "direct":
            reply = self.conn.request("$JS.API.DIRECT.GET.%s.%s" % (self.stream, subject), b"", timeout=timeout)
            if reply.status == 404:
                return None, 0
            if reply.status == 503:
                raise RuntimeError("no responders")
            if reply.status is not None:
                raise RuntimeError("direct get: %d %s" % (reply.status, reply.description))
            op = reply.headers.get("kv-operation", "").upper()
            seq = int(reply.headers.get("nats-sequence", "0") or 0)
            if op in ("DEL", "PURGE"):
                return None, seq
            return json.loads(reply.payload.decode("utf-8")), seq
        reply = self.conn.request("$JS.API.STREAM.MSG.GET." + self.stream,
                                  canonical({"last_by_subj": subject}).encode("utf-8"), timeout=timeout)
        if reply.status == 503:
            raise RuntimeError("no responders")
        body = reply.json()
        if not isinstance(body, dict):
            raise RuntimeError("unreadable reply: %r" % reply.payload[:200])
        err = body.get("error")
        if err:
            if err.get("err_code") == NO_MESSAGE_FOUND:
                return None, 0
            raise RuntimeError("%s (err_code %s)" % (err.get("description"), err.get("err_code")))
        msg = body.get("message") or {}
        seq = int(msg.get("seq", 0))
        hdrs = base64.b64decode(msg["hdrs"]) if msg.get("hdrs") else b""
        if b"KV-Operation: DEL" in hdrs or b"KV-Operation: PURGE" in hdrs:
            return None, seq
        data = base64.b64decode(msg.get("data") or "")
        return json.loads(data.decode("utf-8")), seq

    def put(self, subject, value, headers, timeout):
        """The reply fields of a publish whose outcome is the op's."""
        try:
            reply = self.conn.request(subject, canonical(value).encode("utf-8"), headers=headers, timeout=timeout)
        except NotSent as e:
            return {"type": "fail", "error": "not sent: %s" % e}
        except Lost as e:
            return {"type": "info", "error": str(e)}
        if reply.status == 503:
            # No subscriber had interest: no stream leader took it in.
            return {"type": "fail", "error": "no responders"}
        body = reply.json()
        if isinstance(body, dict) and body.get("error"):
            err = body["error"]
            if err.get("err_code") == WRONG_LAST_SEQUENCE:
                return {"type": "fail", "error": "mismatch (%s)" % err.get("description")}
            return {"type": "info", "error": "%s (err_code %s)" % (err.get("description"), err.get("err_code"))}
        if isinstance(body, dict) and isinstance(body.get("seq"), int):
            return {"type": "ok"}
        return {"type": "info", "error": "unexpected reply: status %s %r" % (reply.status, reply.payload[:200])}

    def apply(self, f, key, has_key, value):
        deadline = time.monotonic() + self.timeout
        subject = self.subject(key, has_key)
        if f == "read":
            try:
                v, _ = self.get(subject, self.read_mode, self.timeout)
            except (NotSent, Lost, RuntimeError, ValueError) as e:
                return {"type": "fail", "error": "read: %s" % e}
            return {"type": "ok", "value": v}
        if f == "write":
            return self.put(subject, value, None, self.timeout)
        if f == "cas":
            if not (isinstance(value, list) and len(value) == 2):
                return {"type": "fail", "error": "cas wants [expected, new]"}
            expected, new = value
            try:
                current, seq = self.get(subject, "leader", self.timeout)
            except (NotSent, Lost, RuntimeError, ValueError) as e:
                return {"type": "fail", "error": "cas read: %s" % e}
            if canonical(current) != canonical(expected):
                return {"type": "fail", "error": "mismatch"}
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                return {"type": "fail", "error": "cas: no time left after the read"}
            return self.put(subject, new, {"Nats-Expected-Last-Subject-Sequence": str(seq)}, remaining)
        return {"type": "fail", "error": "unsupported op %r (this adapter serves register)" % f}


class Adapter:
    """Reads requests, runs them on worker threads (each with its own connection), writes replies."""

    def __init__(self, address, node, args):
        self.out = sys.stdout.buffer
        self.out_lock = threading.Lock()
        self.requests = queue.Queue()
        for i in range(max(1, args.threads)):
            kv = KV(address, "faultline-%s-%d-%d" % (node, os.getpid(), i), args.bucket, args.read, args.timeout)
            threading.Thread(target=self._work, args=(kv,), daemon=True).start()

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

    def _work(self, kv):
        while True:
            req = self.requests.get()
            try:
                out = kv.apply(req["f"], req.get("key"), "key" in req, req.get("value"))
            except Exception as e:  # a bug here must not leave the op unanswered
                kv.conn.close()
                out = {"type": "fail" if req["f"] == "read" else "info", "error": "adapter error: %r" % e}
            out["id"] = req["id"]
            self.reply(out)


def watch_parent():
    """Exit when the process that started us is gone (stdin EOF is the main signal; this backs it)."""
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)


# -- --init -------------------------------------------------------------------------------------

def stream_config(bucket, replicas):
    """The bucket's stream, as nats.go's CreateKeyValue makes it for a 2.9 server (history 1)."""
    return {
        "name": "KV_" + bucket,
        "subjects": ["$KV.%s.>" % bucket],
        "retention": "limits",
        "max_consumers": -1,
        "max_msgs": -1,
        "max_bytes": -1,
        "max_age": 0,
        "max_msgs_per_subject": 1,  # history 1: the key's last value only
        "max_msg_size": -1,
        "discard": "new",
        "storage": "file",
        "num_replicas": replicas,
        "duplicate_window": 120 * 10**9,  # nanoseconds
        "allow_direct": True,  # lets --read direct work; leader reads do not use it
        "mirror_direct": False,
        "sealed": False,
        "deny_delete": True,
        "deny_purge": False,
        "allow_rollup_hdrs": True,
    }


def init(args):
    addresses = [a for a in os.environ.get("FAULTLINE_ADDRESSES", os.environ.get("FAULTLINE_ADDRESS", "")).split(",") if a]
    if not addresses:
        log("--init needs FAULTLINE_ADDRESSES (HOST:PORT,HOST:PORT,...)")
        return 2
    try:
        targets = [parse_address(a) for a in addresses]
    except ValueError as e:
        log(str(e))
        return 2
    replicas = args.replicas or min(len(targets), 5)  # JetStream allows at most 5 replicas
    config = stream_config(args.bucket, replicas)
    stream = config["name"]
    deadline = time.monotonic() + args.init_timeout
    started = time.monotonic()
    conns = [Connection(t, "faultline-init-%d" % i, 2.0) for i, t in enumerate(targets)]
    last = "nothing tried"

    def ask(i, subject, body):
        reply = conns[i].request(subject, canonical(body).encode("utf-8") if body is not None else b"", timeout=3.0)
        if reply.status == 503:
            raise RuntimeError("no responders")
        answer = reply.json()
        if not isinstance(answer, dict):
            raise RuntimeError("unreadable reply %r" % reply.payload[:200])
        return answer

    # 1. Create the stream (any node; the meta leader does it). Creating it again with the same
    #    configuration succeeds, so a retry after a lost reply is harmless.
    created = False
    i = 0
    while not created:
        if time.monotonic() > deadline:
            log("could not create %s within %.0f s; last: %s" % (stream, args.init_timeout, last))
            return 1
        try:
            answer = ask(i % len(conns), "$JS.API.STREAM.CREATE." + stream, config)
            err = answer.get("error")
            if err and err.get("err_code") == STREAM_NAME_EXISTS:
                log("%s exists with another configuration: %s" % (stream, err.get("description")))
                return 1
            if err:
                raise RuntimeError("%s (err_code %s)" % (err.get("description"), err.get("err_code")))
            created = True
            log("created (or found, same configuration) %s (R%d) through %s:%d after %.2f s" % (stream, replicas, *targets[i % len(conns)], time.monotonic() - started))
        except (NotSent, Lost, RuntimeError) as e:
            last = "%s:%d: %s" % (*targets[i % len(conns)], e)
            conns[i % len(conns)].close()
            i += 1
            time.sleep(0.25)

    # 2. Wait for a stream leader with every replica current, then for a read through every node.
    ready = [False] * len(conns)
    while not all(ready):
        if time.monotonic() > deadline:
            log("%s was not ready on every node within %.0f s; last: %s" % (stream, args.init_timeout, last))
            return 1
        for j in range(len(conns)):
            if ready[j]:
                continue
            try:
                info = ask(j, "$JS.API.STREAM.INFO." + stream, None)
                if info.get("error"):
                    raise RuntimeError("stream info: %s" % info["error"].get("description"))
                cluster = info.get("cluster") or {}
                peers = cluster.get("replicas") or []
                if not cluster.get("leader") or len(peers) != replicas - 1 or not all(p.get("current") for p in peers):
                    raise RuntimeError("stream leader %r, replicas %r" % (cluster.get("leader"), [(p.get("name"), p.get("current")) for p in peers]))
                answer = ask(j, "$JS.API.STREAM.MSG.GET." + stream, {"last_by_subj": "$KV.%s._faultline_init" % args.bucket})
                err = answer.get("error")
                if err and err.get("err_code") != NO_MESSAGE_FOUND:
                    raise RuntimeError("read: %s (err_code %s)" % (err.get("description"), err.get("err_code")))
                ready[j] = True
                log("%s:%d reads %s (leader %s) after %.2f s" % (*targets[j], stream, cluster.get("leader"), time.monotonic() - started))
            except (NotSent, Lost, RuntimeError) as e:
                last = "%s:%d: %s" % (*targets[j], e)
                conns[j].close()
        if not all(ready):
            time.sleep(0.25)
    for c in conns:
        c.close()
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description="faultline stdio adapter for a NATS JetStream KV bucket")
    parser.add_argument("--bucket", default="faultline")
    parser.add_argument("--read", choices=("leader", "direct"), default="leader")
    parser.add_argument("--timeout", type=float, default=4.0, help="seconds for one op (keep it below --op-timeout)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--init", action="store_true", help="create the bucket and wait until it serves")
    parser.add_argument("--replicas", type=int, default=0, help="--init: replicas (default: one per address)")
    parser.add_argument("--init-timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    if args.init:
        return init(args)
    try:
        address = parse_address(os.environ.get("FAULTLINE_ADDRESS", ""))
    except ValueError as e:
        log(str(e))
        return 2
    workload = os.environ.get("FAULTLINE_WORKLOAD", "")
    if workload not in ("", "register"):
        log("workload %r: this adapter serves register only; other ops fail" % workload)
    node = os.environ.get("FAULTLINE_NODE", "?")
    log("serving %s at %s:%d, bucket %s, reads from %s" % (node, address[0], address[1], args.bucket,
                                                               "the stream leader" if args.read == "leader" else "any replica (direct get)"))
    threading.Thread(target=watch_parent, daemon=True).start()
    adapter = Adapter(address, node, args)
    for line in sys.stdin.buffer:
        if line.strip():
            adapter.submit(line)
    # stdin closed: faultline is done with us (or gone). Requests still running are abandoned.
    log("stdin closed; exiting")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
