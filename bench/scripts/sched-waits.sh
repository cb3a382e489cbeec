#!/bin/bash
# Where a keystroke's echo waits under load: runs `wrapd-bench run
# latency-load --runs 1` under `perf` (the scheduler's switches and wake-ups,
# and every one-byte write), then, for each echo slower than SLOW ms, prints
# the longest wait between a thread being woken and running, which thread it
# was and what ran instead — for wrapd and tmux alike. A summary counts which
# kind of thread held up the slow echoes.
#
#   bench/scripts/sched-waits.sh [BIN_DIR] [SLOW_MS]
#
# Needs perf and the right to trace the whole machine (root, or
# kernel.perf_event_paranoid = -1). Example:
#   bench/scripts/sched-waits.sh target/release 1.5
set -euo pipefail
BIN=$(realpath "${1:-target/release}"); SLOW=${2:-1.5}
command -v perf >/dev/null || { echo "needs perf" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
perf record -a -q -o "$WORK/perf.data" -e sched:sched_switch,sched:sched_wakeup \
    -e syscalls:sys_enter_write --filter 'count == 1' 2>"$WORK/perf.log" &
PERF=$!
sleep 1
"$BIN/wrapd-bench" run latency-load --runs 1 --bin-dir "$BIN" --json "$WORK/bench.json" >/dev/null
kill -INT "$PERF"; wait "$PERF" || true
perf script -i "$WORK/perf.data" -F comm,tid,cpu,time,event,trace 2>/dev/null >"$WORK/events.txt"
python3 - "$WORK/events.txt" "$SLOW" <<'PY'
import collections, re, sys
line = re.compile(r'^\s*(.*?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+\S+:(\S+):\s*(.*)$')
woke = re.compile(r'comm=(.*?) pid=(\d+)')
switch = re.compile(r'prev_comm=(.*?) prev_pid=(\d+) .*==> next_comm=(.*?) next_pid=(\d+)')
events = []
for l in open(sys.argv[1]):
    m = line.match(l)
    if m:
        events.append((float(m[4]), m[1], int(m[2]), int(m[3]), m[5], m[6]))
slow = float(sys.argv[2])

def kind(comm):
    return re.sub(r'[-/:]?[\d].*$', '', comm.split('/')[0]) or comm

# A key: a one-byte write by the bench; its echo: the bench's next wake-up.
keys, pending = [], None
for i, (t, comm, tid, cpu, ev, tr) in enumerate(events):
    if comm == 'wrapd-bench' and ev == 'sys_enter_write':
        pending = (t, i, tid)
    elif pending and ev == 'sched_wakeup' and f'pid={pending[2]} ' in tr:
        keys.append((pending[0], t, pending[1], i))
        pending = None
held = {'wrapd': collections.Counter(), 'tmux': collections.Counter()}
counts = collections.Counter()
for t0, t1, i0, i1 in keys:
    window = events[i0:i1 + 1]
    text = ' '.join(e[1] + ' ' + e[5] for e in window)
    mux = 'wrapd' if 'wrapd-attach' in text else 'tmux' if 'tmux' in text else None
    if mux is None:
        continue
    ms = (t1 - t0) * 1e3
    counts[mux] += 1
    if ms < slow or ms > 1000:
        continue
    woken, waits = {}, []
    for t, comm, tid, cpu, ev, tr in window:
        if ev == 'sched_wakeup' and (m := woke.search(tr)):
            woken[int(m[2])] = (t, m[1])
        elif ev == 'sched_switch' and (m := switch.search(tr)) and int(m[4]) in woken:
            at, who = woken.pop(int(m[4]))
            waits.append(((t - at) * 1e3, who, cpu, m[1]))
    if not waits:
        continue
    waits.sort(reverse=True)
    w = waits[0]
    held[mux][kind(w[1])] += 1
    print(f'{mux:5} echo {ms:6.2f} ms: longest wait {w[0]:5.2f} ms, {w[1]} on cpu {w[2]} (after {w[3]})')
for mux in ('wrapd', 'tmux'):
    print(f'{mux}: {counts[mux]} echoes; slow ones held up most by:', dict(held[mux].most_common()))
PY
