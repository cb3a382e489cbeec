#!/bin/bash
# CPU time and context switches per keystroke, per thread: wrapd (daemon and
# client) against tmux (server and client), keys typed through an outer tmux
# into a session running `cat >/dev/null`. Load-independent where the echo
# latency figures are not: it counts hand-offs rather than timing them.
#
#   bench/scripts/keycost.sh [BIN_DIR] [KEYS]     (default target/release, 300)
set -euo pipefail
B=$(realpath "${1:-target/release}"); N=${2:-300}
for tool in tmux; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }; done
D=$(mktemp -d)
export WRAPD_SOCKET=$D/s.sock XDG_STATE_HOME=$D/state XDG_CONFIG_HOME=$D/cfg XDG_RUNTIME_DIR=$D
mkdir -p "$D/cfg/wrapd"; printf '[client]\nstatus_line = false\n' > "$D/cfg/wrapd/config.toml"
OUTER="keycost-$$"
cleanup() {
  tmux -L "$OUTER" kill-server 2>/dev/null || true
  tmux -S "$D/tm" kill-server 2>/dev/null || true
  [ -n "${DP:-}" ] && kill "$DP" 2>/dev/null || true
  sleep 0.2; rm -rf "$D"
}
trap cleanup EXIT
"$B/wrapd-muxd" serve --share-listen 127.0.0.1:0 > "$D/daemon.log" 2>&1 &
DP=$!
sleep 0.5
"$B/wrapd-attach" new -d -s s -- sh -c 'cat >/dev/null'
tmux -L "$OUTER" -f /dev/null new -d -x 80 -y 24 "$B/wrapd-attach attach -t s"
tmux -S "$D/tm" -f /dev/null new -d -x 80 -y 24 'cat >/dev/null'
tmux -S "$D/tm" set -g status off >/dev/null; tmux -S "$D/tm" set -g escape-time 0 >/dev/null
tmux -L "$OUTER" new-window -d "tmux -S $D/tm attach"
sleep 1
CP=$(pgrep -f "^$B/wrapd-attach attach -t s" | head -1)
TS=$(pgrep -f "^tmux -S $D/tm -f" | head -1); TC=$(pgrep -f "^tmux -S $D/tm attach" | head -1)

# "pid/thread-name/tid switches cpu-ns" for every thread of the given processes.
snap() {
  for p in "$@"; do for t in /proc/$p/task/*; do
    echo "$p/$(tr " " _ < "$t/comm")/$(basename "$t") \
$(awk '/ctxt_switches/ {s+=$2} END {print s}' "$t/status") $(cut -d' ' -f1 "$t/schedstat")"
  done; done
}
measure() { # window label pids...
  local w=$1 label=$2; shift 2
  snap "$@" | sort > "$D/a"
  for _ in $(seq "$N"); do tmux -L "$OUTER" send-keys -t ":$w" a; sleep 0.005; done
  sleep 0.3
  snap "$@" | sort > "$D/b"
  echo "$label"
  join "$D/a" "$D/b" | awk -v n="$N" '
    { cs = ($4 - $2) / n; us = ($5 - $3) / n / 1000; tcs += cs; tus += us
      if (cs > 0.005) printf "  %-36s %5.2f switches/key %7.1f us CPU/key\n", $1, cs, us }
    END { printf "  %-36s %5.2f switches/key %7.1f us CPU/key\n", "total", tcs, tus }'
}
measure 0 "wrapd (daemon $DP, client $CP):" "$DP" "$CP"
measure 1 "tmux (server $TS, client $TC):" "$TS" "$TC"
