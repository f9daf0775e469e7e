#!/usr/bin/env bash
# Instant messaging: delivered msgs/s, delivery and acknowledgement latency, history first page.
# Each part gets a fresh parleyd (threads = cores) on loopback; the load client is bench/ucwa_load.
# Sizes: IM_PAIRS (128), IM_SECONDS (10), IM_RATE (5000 msgs/s offered; 0 skips),
# HISTORY_CONVERSATIONS (10000; 0 skips), HISTORY_REQUESTS (2000), DEADLINE (seconds per client
# run, 900). Goals printed next to the figures: GOAL_MSGS (20000), GOAL_P99_MS (10),
# GOAL_HISTORY_P99_MS (unset: the figure is printed without a verdict).
set -euo pipefail
bin=$(dirname "$PARLEYD")
PARLEY=${PARLEY:-$bin/parley}
UCWA_LOAD=${UCWA_LOAD:-$bin/ucwa_load}
pairs=${IM_PAIRS:-128}
seconds=${IM_SECONDS:-10}
rate=${IM_RATE:-5000}
conversations=${HISTORY_CONVERSATIONS:-10000}
requests=${HISTORY_REQUESTS:-2000}
deadline=${DEADLINE:-900}
goal_msgs=${GOAL_MSGS:-20000}
goal_p99=${GOAL_P99_MS:-10}
goal_history=${GOAL_HISTORY_P99_MS:-}
password=bench-password-1

work=$(mktemp -d)
source "$(dirname "$0")/lib/parleyd.sh"
source "$(dirname "$0")/lib/report.sh"
trap 'stop_server; rm -rf "$work"' EXIT

ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# A ring timeout longer than the history run, so none of its invitations end while it measures.
cat >"$work/parleyd.toml" <<TOML
data_dir = "$work/data"
threads = $(nproc)
log_level = "warn"
[sites.internal]
https = "127.0.0.1:0"
[sites.external]
https = "127.0.0.1:0"
http = "127.0.0.1:0"
[limits]
max_connections = 1000000
idle_timeout_seconds = 86400
[passwords]
opslimit = 1
memlimit = 8192
[ucwa]
max_applications_per_user = 1000
max_pending_events = 100000
idle_timeout_without_event_channel = 3600
[im]
ring_timeout_seconds = 300
# The web API alone: no media relay in the measured process (bench/run relay measures it).
[roles]
edge = false
TOML

results=$work/results.txt
: >"$results"
run_client() {
  local rc=0 out=$work/run.out
  "$UCWA_LOAD" "$@" --data-dir "$work/data" --password "$password" --deadline "$deadline" 2>&1 | tee "$out" || rc=$?
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "parleyd died during: ucwa_load $*" | tee -a "$results" >&2
    tail -30 "$work/parleyd.log" >&2
    server_pid=""
    exit 1
  fi
  grep -E '^(ucwa_load: |im N=|history K=)' "$out" >>"$results" || true
  if (( rc != 0 )); then echo "ucwa_load $1 exited with $rc" | tee -a "$results" >&2; fi
}

# Users u0000.. (the pairs, and the history's peers) and alice, imported in one go.
users=$(( 2 * pairs > conversations ? 2 * pairs : conversations ))
{
  echo "sipUri,password"
  echo "alice@example.org,$password"
  for i in $(seq 0 $(( users - 1 ))); do printf 'u%04d@example.org,%s\n' "$i" "$password"; done
} >"$work/users.csv"

start_server
"$PARLEY" --data-dir "$work/data" user import "$work/users.csv" >/dev/null
echo "== im: $pairs pairs back-to-back, $seconds s" >&2
run_client im --pairs "$pairs" --seconds "$seconds"
stop_server

if (( rate > 0 )); then
  start_server
  echo "== im: $pairs pairs, $rate msgs/s offered, $seconds s" >&2
  run_client im --pairs "$pairs" --seconds "$seconds" --rate "$rate"
  stop_server
fi

if (( conversations > 0 )); then
  start_server
  echo "== history: alice with $conversations conversations, $requests first-page reads" >&2
  run_client history --conversations "$conversations" --requests "$requests"
  stop_server
fi

report_log_errors

# The figures against the goals.
b2b=$(field "s/^im N=$pairs back-to-back: \([0-9]*\) msgs\/s delivered.*/\1/p")
paced_p99=$(field "s/^im N=$pairs offered $rate\/s: .*delivery p50 [0-9.]* ms p99 \([0-9.]*\) ms.*/\1/p")
hist_p99=$(field "s/^history K=$conversations: first page p50 [0-9.]* ms p99 \([0-9.]*\) ms.*/\1/p")
echo
echo "Instant messaging (parleyd threads=$(nproc), loopback, TLS; client: 1 thread on the same machine):"
sed 's/^/  /' "$results"
echo "Goals:"
echo "  delivered msgs/s, $pairs pairs back-to-back: ${b2b:-n/a} (goal >= $goal_msgs)$(verdict "$b2b" "$goal_msgs" higher)"
if (( rate > 0 )); then
  echo "  delivery p99 at $rate msgs/s offered: ${paced_p99:-n/a} ms (goal <= $goal_p99 ms)$(verdict "$paced_p99" "$goal_p99" lower)"
fi
if (( conversations > 0 )); then
  echo "  history first page p99 with $conversations conversations: ${hist_p99:-n/a} ms${goal_history:+ (goal <= $goal_history ms)}$(verdict "$hist_p99" "$goal_history" lower)"
fi
