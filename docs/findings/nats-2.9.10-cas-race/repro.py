#!/usr/bin/env python3
"""Two compare-and-sets on one key of a clustered JetStream stream, both acknowledged.

No faultline, no adapter, no NATS client library: Python's standard library and nats-server.
It starts NODES nats-servers on 127.0.0.1 (a JetStream cluster), creates a stream laid out as a
key-value bucket (subjects $KV.<bucket>.>, one message per subject), and then, round after round:

  1. reads the key's last message with $JS.API.STREAM.MSG.GET (its sequence S);
  2. publishes two new values to the key at the same moment, on two connections to two different
     servers, each with the header  Nats-Expected-Last-Subject-Sequence: S;
  3. waits for both answers.

At most one of the two may be stored: the second must be refused with "wrong last sequence"
(err_code 10071). A round where both answers are PubAcks with a sequence is a lost compare-and-set
(the key's value moved twice from the same S). The same rounds run against an R1 stream (one
replica: the expected sequence is checked when the message is stored) as the control, and against
the R3 (or R<NODES>) stream under test.

  python3 repro.py [--rounds 2000] [--nodes 3] [--bin nats-server] [--base-port 24000] [--keep]

Exit 0 when no round had two acknowledgements, 1 when one did, 2 when the script failed.
"""
import argparse, base64, json, os, shutil, socket, subprocess, sys, tempfile, time

WRONG_LAST_SEQUENCE = 10071


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        line = self._line()
        assert line.startswith(b"INFO "), line
        info = json.loads(line[5:])
        assert info.get("headers"), "server without headers"
        self.s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"protocol":1}\r\nPING\r\n')
        while self._line() != b"PONG":
            pass
        self.inbox = "_INBOX.repro%d" % port
        self.s.sendall(("SUB %s.* 1\r\n" % self.inbox).encode())
        self.n = 0

    def _fill(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def send(self, subject, payload, headers=None):
        """Sends a request; returns its reply token."""
        self.n += 1
        reply = "%s.%d" % (self.inbox, self.n)
        if headers:
            h = ("NATS/1.0\r\n" + "".join("%s: %s\r\n" % kv for kv in headers.items()) + "\r\n").encode()
            data = ("HPUB %s %s %d %d\r\n" % (subject, reply, len(h), len(h) + len(payload))).encode() + h + payload + b"\r\n"
        else:
            data = ("PUB %s %s %d\r\n" % (subject, reply, len(payload))).encode() + payload + b"\r\n"
        self.s.sendall(data)
        return reply

    def wait(self, reply):
        """The (status, payload) of the message arriving on `reply`."""
        while True:
            line = self._line()
            if line == b"PING":
                self.s.sendall(b"PONG\r\n")
                continue
            if not (line.startswith(b"MSG ") or line.startswith(b"HMSG ")):
                continue
            parts = line.decode().split(" ")
            total = int(parts[-1])
            hlen = int(parts[-2]) if parts[0] == "HMSG" else 0
            while len(self.buf) < total + 2:
                self._fill()
            body, self.buf = self.buf[:total], self.buf[total + 2:]
            if parts[1] != reply:
                continue
            status = None
            if hlen:
                first = body[:hlen].split(b"\r\n")[0].split(b" ")
                if len(first) > 1 and first[1].isdigit():
                    status = int(first[1])
            return status, body[hlen:]

    def request(self, subject, payload, headers=None):
        return self.wait(self.send(subject, payload, headers))


def start_cluster(nodes, base, binary, root):
    procs = []
    for i in range(nodes):
        d = os.path.join(root, "n%d" % (i + 1))
        os.makedirs(d)
        routes = ", ".join('"nats-route://127.0.0.1:%d"' % (base + 100 + j) for j in range(nodes) if j != i)
        conf = os.path.join(d, "nats.conf")
        with open(conf, "w") as f:
            f.write('server_name: n%d\nlisten: 127.0.0.1:%d\njetstream { store_dir: "%s" }\n'
                    'cluster { name: repro, listen: 127.0.0.1:%d, routes: [%s] }\n' % (i + 1, base + i, os.path.join(d, "js"), base + 100 + i, routes))
        log = open(os.path.join(d, "console.log"), "w")
        procs.append(subprocess.Popen([binary, "-c", conf], stdout=log, stderr=subprocess.STDOUT))
    return procs


def create_stream(conn, name, bucket, replicas, deadline):
    cfg = {"name": name, "subjects": ["$KV.%s.>" % bucket], "retention": "limits", "max_msgs_per_subject": 1,
           "discard": "new", "storage": "file", "num_replicas": replicas, "allow_rollup_hdrs": True, "deny_delete": True}
    last = None
    while time.monotonic() < deadline:
        try:
            status, body = conn.request("$JS.API.STREAM.CREATE." + name, json.dumps(cfg).encode())
            answer = json.loads(body) if body else {}
            if status is None and not answer.get("error"):
                # Wait for a leader with every replica current.
                while time.monotonic() < deadline:
                    _, body = conn.request("$JS.API.STREAM.INFO." + name, b"")
                    c = (json.loads(body).get("cluster") or {})
                    reps = c.get("replicas") or []
                    if c.get("leader") and len(reps) == replicas - 1 and all(r.get("current") for r in reps):
                        return c.get("leader")
                    time.sleep(0.2)
            last = (status, answer)
        except (OSError, EOFError, ValueError) as e:
            last = e
        time.sleep(0.5)
    raise RuntimeError("stream %s not ready: %r" % (name, last))


def last_seq(conn, stream, subject):
    status, body = conn.request("$JS.API.STREAM.MSG.GET." + stream, json.dumps({"last_by_subj": subject}).encode())
    answer = json.loads(body)
    if answer.get("error"):
        if answer["error"].get("err_code") == 10037:
            return 0
        raise RuntimeError("read: %r" % answer["error"])
    return int(answer["message"]["seq"])


def outcome(status, body):
    if status == 503:
        return "no-responders"
    try:
        answer = json.loads(body)
    except ValueError:
        return "unreadable"
    if answer.get("error"):
        return "wrong-last-sequence" if answer["error"].get("err_code") == WRONG_LAST_SEQUENCE else "error %s" % answer["error"].get("err_code")
    return "ok" if isinstance(answer.get("seq"), int) else "unknown"


def rounds(conns, stream, bucket, n):
    subject = "$KV.%s.k" % bucket
    a, b = conns
    value = 0
    a.request(subject, b"0")  # the key exists: expected sequences are > 0 (the racy path)
    counts = {}
    doubles = []
    for r in range(n):
        seq = last_seq(a, stream, subject)
        value += 2
        ra = a.send(subject, str(value - 1).encode(), {"Nats-Expected-Last-Subject-Sequence": str(seq)})
        rb = b.send(subject, str(value).encode(), {"Nats-Expected-Last-Subject-Sequence": str(seq)})
        oa, ob = outcome(*a.wait(ra)), outcome(*b.wait(rb))
        key = "%s / %s" % tuple(sorted((oa, ob)))
        counts[key] = counts.get(key, 0) + 1
        if oa == "ok" and ob == "ok":
            doubles.append({"round": r, "expected_seq": seq, "values": [value - 1, value], "after": last_seq(a, stream, subject)})
    return counts, doubles


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=2000)
    p.add_argument("--nodes", type=int, default=3)
    p.add_argument("--bin", default="nats-server")
    p.add_argument("--base-port", type=int, default=24000)
    p.add_argument("--keep", action="store_true", help="keep the temp folder (the servers' logs)")
    args = p.parse_args()
    version = subprocess.run([args.bin, "--version"], capture_output=True, text=True).stdout.strip()
    root = tempfile.mkdtemp(prefix="nats-cas-race-")
    procs = start_cluster(args.nodes, args.base_port, args.bin, root)
    result = {"server": version, "nodes": args.nodes, "rounds": args.rounds}
    code = 2
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conns = [Conn(args.base_port), Conn(args.base_port + 1)]
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        code = 0
        for replicas in (1, args.nodes):
            name = "KV_r%d" % replicas
            leader = create_stream(conns[0], name, "r%d" % replicas, replicas, deadline + 60)
            counts, doubles = rounds(conns, name, "r%d" % replicas, args.rounds)
            result["R%d" % replicas] = {"stream_leader": leader, "outcomes": counts, "both_acknowledged": len(doubles), "examples": doubles[:5]}
            if doubles:
                code = 1
    except Exception as e:
        result["error"] = repr(e)
        code = 2
    finally:
        for pr in procs:
            pr.terminate()
        for pr in procs:
            try:
                pr.wait(10)
            except subprocess.TimeoutExpired:
                pr.kill()
        if args.keep:
            result["folder"] = root
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(result, indent=2))
    return code


if __name__ == "__main__":
    sys.exit(main())
