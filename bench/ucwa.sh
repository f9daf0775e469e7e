#!/usr/bin/env bash
# UCWA under load: RSS per parked event channel, presence fan-out latency, GET {app}/me req/s.
# Each part gets a fresh parleyd (threads = cores) on loopback; the load client is bench/ucwa_load.
# Sizes: PARKED_APPS (100000), FANOUT_SIZES ("1000 10000"; "" skips), SELF_FANOUT (999; 0 skips),
# ME_CONNECTIONS (64), ME_SECONDS (10), DEADLINE (seconds per client run, 900). Raises the
# open-file limit, or scales the sizes down if it cannot.
set -euo pipefail
bin=$(dirname "$PARLEYD")
PARLEY=${PARLEY:-$bin/parley}
UCWA_LOAD=${UCWA_LOAD:-$bin/ucwa_load}
parked=${PARKED_APPS:-100000}
fanout_sizes=${FANOUT_SIZES-"1000 10000"}
me_connections=${ME_CONNECTIONS:-64}
me_seconds=${ME_SECONDS:-10}
deadline=${DEADLINE:-900}
password=bench-password-1

work=$(mktemp -d)
source "$(dirname "$0")/lib/parleyd.sh"
source "$(dirname "$0")/lib/report.sh"
trap 'stop_server; rm -rf "$work"' EXIT

# One connection per parked application on each side (client and server are separate processes).
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fds=$(ulimit -n)
max_conns=$(( fds - 4096 ))
if (( parked > max_conns )); then
  echo "note: open-file limit is $fds; parked applications scaled down from $parked to $max_conns" >&2
  parked=$max_conns
fi
sizes=()
for n in $fanout_sizes; do
  if (( n > max_conns )); then echo "note: fan-out $n scaled down to $max_conns (open-file limit)" >&2; n=$max_conns; fi
  sizes+=("$n")
done

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
max_presence_subscriptions = 4
idle_timeout_without_event_channel = 3600
# The web API alone: no media relay in the measured process (bench/run relay measures it).
[roles]
edge = false
TOML

# Runs the load client against the running server; its output goes to the terminal and results.
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
  grep -E '^(ucwa_load: |parked: [0-9]+ applications, RSS|fanout( \(own applications\))? N=[0-9]+: last subscriber p50|GET )' "$out" >>"$results" || true
  if (( rc != 0 )); then echo "ucwa_load $1 exited with $rc" | tee -a "$results" >&2; fi
}

# Users u0000.. (1000 applications each at most) and the publisher alice, imported in one go.
max_users=$(( (parked + 999) / 1000 ))
for n in "${sizes[@]}"; do
  if (( (n + 999) / 1000 > max_users )); then max_users=$(( (n + 999) / 1000 )); fi
done
{
  echo "sipUri,password"
  echo "alice@example.org,$password"
  for i in $(seq 0 $(( max_users - 1 ))); do printf 'u%04d@example.org,%s\n' "$i" "$password"; done
} >"$work/users.csv"

start_server
"$PARLEY" --data-dir "$work/data" user import "$work/users.csv" >/dev/null
echo "== parked event channels: $parked applications" >&2
run_client parked --apps "$parked"
stop_server

for n in "${sizes[@]}"; do
  start_server
  echo "== presence fan-out: $n subscribers" >&2
  run_client fanout --subscribers "$n"
  stop_server
done

self_fanout=${SELF_FANOUT:-999}
if (( self_fanout > 0 )); then
  start_server
  echo "== presence fan-out to the publisher's own $self_fanout applications (no subscription)" >&2
  run_client fanout --subscribers "$self_fanout" --self-watch 1
  stop_server
fi

start_server
echo "== GET {app}/me: $me_connections connections, $me_seconds s" >&2
run_client me --connections "$me_connections" --seconds "$me_seconds"
stop_server

report_log_errors
echo
echo "UCWA load (parleyd threads=$(nproc), loopback, TLS, batch_delay_ms=20; client: 1 thread):"
sed 's/^/  /' "$results"
