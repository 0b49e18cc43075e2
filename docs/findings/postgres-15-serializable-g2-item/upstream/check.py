#!/usr/bin/env python3
"""Finds dependency cycles among the transactions g2.pgbench committed (Python 3 standard library).

    check.py LOG.csv FINAL.csv

LOG.csv: the table log as CSV (tx, client, xid, snap, began, ended, declared_ro, o1..o4, committed),
committed being pg_xact_commit_timestamp(xid). FINAL.csv: k, v of every append_* row.

Each key's final list is its version order (values are unique, appends only add at the end).
Edges, as in Adya's and Elle's list-append: ww from an append to the next one in the final list;
wr from an append to a read whose last element it is; rw from a read to the append of the element
just after what it read. A cycle among committed transactions means no serial order explains
them. For each edge of a cycle the script also checks what the server says independently: the
reader's snapshot (pg_current_snapshot) must show the writer as committed for wr and as not
committed for rw. Exit 0: no cycle and no problem; 1: a cycle or a problem.
"""
import csv, json, sys
from collections import defaultdict, deque

csv.field_size_limit(1 << 30)

def snapshot(text):
    xmin, xmax, xip = text.split(':')
    return int(xmin), int(xmax), {int(x) for x in xip.split(',') if x}

def visible(xid, snap):
    """Whether a transaction with this xid had committed when the snapshot was taken."""
    xmin, xmax, xip = snap
    return xid < xmin or (xid < xmax and xid not in xip)

def main(log_path, final_path):
    txns = []
    with open(log_path, newline='') as f:
        for row in csv.DictReader(f):
            ops = []
            for col in ('o1', 'o2', 'o3', 'o4'):
                o = row[col]
                if not o:
                    continue
                f_, k, rest = o.split(' ', 2)
                ops.append(('r', k, json.loads(rest)) if f_ == 'r' else ('a', k, int(rest)))
            txns.append({'tx': int(row['tx']), 'client': row['client'], 'xid': int(row['xid']) if row['xid'] else None,
                         'snap': snapshot(row['snap']), 'snap_text': row['snap'], 'began': row['began'], 'ended': row['ended'],
                         'committed': row.get('committed') or '', 'declared_ro': row['declared_ro'] == 't', 'ops': ops})
    finals = {}
    with open(final_path, newline='') as f:
        for row in csv.DictReader(f):
            finals[row['k']] = json.loads(row['v'])

    problems = []
    appender = {}
    for i, t in enumerate(txns):
        for f_, k, v in t['ops']:
            if f_ == 'a':
                appender[(k, v)] = i
    edges = [[] for _ in txns]

    def add(a, b, kind, why):
        if a is not None and b is not None and a != b:
            edges[a].append((b, kind, why))

    for k, lst in finals.items():
        for x in lst:
            if (k, x) not in appender:
                problems.append(f'key {k} holds {x}, which no logged transaction appended')
        for a, b in zip(lst, lst[1:]):
            add(appender.get((k, a)), appender.get((k, b)), 'ww', f'key {k}: {a} then {b}')
    for i, t in enumerate(txns):
        for f_, k, v in t['ops']:
            lst = finals.get(k, [])
            if f_ == 'a':
                if v not in lst:
                    problems.append(f'tx {t["tx"]} appended {v} to key {k}, missing from the final list')
                continue
            if v != lst[:len(v)]:
                problems.append(f'tx {t["tx"]} read key {k} = {v}, not a prefix of the final {lst}')
                continue
            if v:
                add(appender.get((k, v[-1])), i, 'wr', f'key {k}: read {v}, last {v[-1]}')
            if len(v) < len(lst):
                add(i, appender.get((k, lst[len(v)])), 'rw', f'key {k}: read {v}, missed {lst[len(v)]}')

    comps = strongly_connected(edges)
    cycles = [shortest_cycle(c, edges) for c in comps]
    kinds = defaultdict(int)
    for cy in cycles:
        kinds[kind(cy)] += 1
    ro = sum(1 for t in txns if all(o[0] == 'r' for o in t['ops']))
    print(f'committed transactions: {len(txns)} ({ro} read-only, {sum(t["declared_ro"] for t in txns)} declared READ ONLY); '
          f'edges: {sum(len(e) for e in edges)}; problems: {len(problems)}')
    for p in problems[:10]:
        print(f'problem: {p}')
    print(f'cycles: {len(cycles)} {dict(kinds)}')
    for cy in cycles:
        print(f'\n{kind(cy)}:')
        for a, b, k, why in cy:
            ta, tb = txns[a], txns[b]
            server = ''
            if k == 'wr' and ta['xid'] is not None:
                server = 'snapshot agrees: writer committed before it' if visible(ta['xid'], tb['snap']) else 'SNAPSHOT DISAGREES'
            if k == 'rw' and tb['xid'] is not None:
                server = 'snapshot agrees: writer not committed before it' if not visible(tb['xid'], ta['snap']) else 'SNAPSHOT DISAGREES'
            print(f'  tx {ta["tx"]} {k}-> tx {tb["tx"]}  ({why}; {server})')
        for a, _, _, _ in cy:
            t = txns[a]
            print(f'  tx {t["tx"]}: client {t["client"]}, xid {t["xid"]}, snapshot {t["snap_text"]}, began {t["began"]}, '
                  f'commit timestamp {t["committed"] or "-"}, COMMIT returned by {t["ended"]}'
                  f'{", declared READ ONLY" if t["declared_ro"] else ""}: {fmt(t["ops"])}')
    return 1 if cycles or problems else 0

def fmt(ops):
    return '; '.join(f'r {k} {json.dumps(v)}' if f == 'r' else f'append {k} {v}' for f, k, v in ops)

def kind(cycle):
    rw = sum(1 for e in cycle if e[2] == 'rw')
    if rw == 0:
        return 'G1c' if any(e[2] == 'wr' for e in cycle) else 'G0'
    return 'G-single' if rw == 1 else 'G2-item'

def strongly_connected(edges):
    """Tarjan's algorithm, iterative; components of more than one transaction."""
    n = len(edges)
    index, low, on = [-1] * n, [0] * n, [False] * n
    stack, out, counter = [], [], 0
    for root in range(n):
        if index[root] != -1:
            continue
        work = [(root, 0)]
        index[root] = low[root] = counter; counter += 1
        stack.append(root); on[root] = True
        while work:
            v, i = work[-1]
            if i < len(edges[v]):
                work[-1] = (v, i + 1)
                w = edges[v][i][0]
                if index[w] == -1:
                    index[w] = low[w] = counter; counter += 1
                    stack.append(w); on[w] = True
                    work.append((w, 0))
                elif on[w]:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop(); on[w] = False; comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(comp)
    return out

def shortest_cycle(comp, edges):
    """A shortest cycle through the component's first transaction (breadth-first)."""
    inside, start = set(comp), min(comp)
    via = {start: None}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w, k, why in edges[v]:
            if w not in inside:
                continue
            if w == start:
                path = [(v, w, k, why)]
                u = v
                while via[u] is not None:
                    path.insert(0, via[u]); u = via[u][0]
                return path
            if w not in via:
                via[w] = (v, w, k, why)
                queue.append(w)

if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
