#!/bin/bash
# Two builds of wrapd against each other, interleaved, on one colour-dense
# `cat` with a client attached (in an outer tmux): MB/s at the median of RUNS
# pairs, and the CPU time of each process. Wall-clock throughput on a small
# machine moves by ±20 % from run to run; only many interleaved pairs tell a
# few per cent apart. The CPU columns say where a difference comes from.
#
#   bench/scripts/ab-throughput.sh OLD_BIN_DIR NEW_BIN_DIR [RUNS] [CLIENT 0|1]
#
# Example (the build before a change, kept aside, against the current one):
#   bench/scripts/ab-throughput.sh /tmp/before target/release 8
set -euo pipefail
OLD=$(realpath "$1"); NEW=$(realpath "$2"); RUNS=${3:-8}; CLIENT=${4:-1}
command -v tmux >/dev/null || { echo "needs tmux" >&2; exit 1; }
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# ~50 MB of words in random 24-bit, 256-colour, bold and underlined SGR.
python3 - "$WORK/sgr.txt" <<'PY'
import random, sys
random.seed(7)
words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split()
out, n = [], 0
while n < 50_000_000:
    width, col, line = 20 + random.randrange(60), 0, []
    while col < width:
        w = random.choice(words)
        if col + len(w) + 1 > 79: break
        r = random.randrange(4)
        line.append(["\x1b[38;2;%d;%d;%dm" % tuple(random.randrange(256) for _ in range(3)),
                     "\x1b[1;3%dm" % random.randrange(8), "\x1b[48;5;%dm" % random.randrange(256),
                     "\x1b[4;38;5;%dm" % random.randrange(256)][r])
        line.append(w + " "); col += len(w) + 1
    s = "".join(line) + "\x1b[0m\n"; out.append(s); n += len(s)
open(sys.argv[1], "w").write("".join(out))
PY
F=$WORK/sgr.txt
MB=$(python3 -c "import os; print(3 * os.path.getsize('$F') / 1e6)")
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
one() { # one run of BIN_DIR: prints "MB/s daemon_cpu client_cpu program_cpu"
  local B=$1 D; D=$(mktemp -d "$WORK/run.XXXX"); mkdir -p "$D/config/wrapd"
  printf '[client]\nstatus_line = false\n' > "$D/config/wrapd/config.toml"
  local ENV=(XDG_RUNTIME_DIR="$D" XDG_CONFIG_HOME="$D/config" XDG_STATE_HOME="$D/state"
             XDG_DATA_HOME="$D/data" HOME="$D" SHELL=/bin/sh WRAPD_LOG=warn)
  env "${ENV[@]}" "$B/wrapd-muxd" serve --socket "$D/s" >/dev/null 2>"$D/log" & local DP=$!
  for _ in $(seq 50); do [ -S "$D/s" ] && break; sleep 0.1; done
  env "${ENV[@]}" "$B/wrapd-attach" --socket "$D/s" new -d -s t -x 80 -y 24 -- sh -c \
    "while [ ! -e $D/go ]; do sleep 0.05; done; cat $F $F $F; touch $D/done; sleep 100" >/dev/null
  local CP="" c0=0 c1=0
  if [ "$CLIENT" = 1 ]; then
    tmux -L "ab$$" -f /dev/null new -d -x 80 -y 24 \
      "env ${ENV[*]} TERM=xterm-256color $B/wrapd-attach --socket $D/s attach -t t"
    sleep 1.5; CP=$(pgrep -f "^$B/wrapd-attach --socket $D/s attach" | head -1)
    c0=$(cpu "$CP")
  fi
  local d0 t0 t1 d1 SP prog
  d0=$(cpu $DP); t0=$(date +%s.%N); touch "$D/go"
  while [ ! -e "$D/done" ]; do sleep 0.02; done
  t1=$(date +%s.%N); d1=$(cpu $DP); [ -n "$CP" ] && c1=$(cpu "$CP")
  SP=$(pgrep -f "while \[ ! -e $D/go" | head -1)
  prog=$(awk '{print ($16 + $17) / 100}' "/proc/$SP/stat")
  python3 -c "print('%.1f %.2f %.2f %.2f' % ($MB / ($t1 - $t0), $d1 - $d0, $c1 - $c0, $prog))"
  tmux -L "ab$$" kill-server 2>/dev/null || true; kill $DP; wait $DP 2>/dev/null || true
}
: > "$WORK/old"; : > "$WORK/new"
for i in $(seq "$RUNS"); do
  one "$OLD" >> "$WORK/old"; one "$NEW" >> "$WORK/new"
  echo "pair $i: old $(tail -1 "$WORK/old" | cut -d' ' -f1) MB/s, new $(tail -1 "$WORK/new" | cut -d' ' -f1) MB/s" >&2
done
python3 - "$WORK/old" "$WORK/new" <<'PY'
import statistics, sys
cols = ["MB/s", "daemon CPU s", "client CPU s", "cat CPU s"]
med = {}
for name, path in zip(["old", "new"], sys.argv[1:]):
    rows = [list(map(float, l.split())) for l in open(path)]
    med[name] = [statistics.median(r[i] for r in rows) for i in range(4)]
    print("%s: " % name + ", ".join("%s %.2f" % (c, v) for c, v in zip(cols, med[name])))
print("new/old MB/s at the median: %.3f" % (med["new"][0] / med["old"][0]))
PY
