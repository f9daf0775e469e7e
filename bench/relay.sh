#!/usr/bin/env bash
# TURN relay: Parley's edge vs coturn (Debian), same load: CPU per relayed packet, loss, allocations/s.
# Both servers run side by side on loopback with the same relay threads, realm and long-term user.
# Relaying: coturn's own turnutils_uclient (UDP, channels, no RTCP) through each server to one
# turnutils_peer echo; the server's CPU (utime+stime from /proc) over the run, divided by the
# packets it relayed (client->peer plus peer->client, as uclient counts them). Allocations:
# bench/relay_alloc_burst (each from a new loopback source address: 401 challenge, authenticated
# Allocate, Refresh lifetime 0).
# Rounds alternate the servers; medians are printed. Each round also runs bench/relay_floor, a bare
# ChannelData forwarder with no TURN logic, under the same load paced over the same time as that
# round's Parley run: its CPU per packet is the least any relay can spend here, so floor/coturn is
# the lowest ratio reachable on this machine.
# Sizes: THREADS (relay threads of each server, 2), CLIENTS (100), MESSAGES (per client, 1000),
# LENGTH (bytes, 120), INTERVAL_MS (per client, 5), ALLOCS (10000), ALLOC_CONCURRENCY (64),
# ALLOC_THREADS (1), REPEAT (3), DEADLINE (seconds per client run, 180).
# Goals: GOAL_CPU_RATIO (Parley/coturn CPU per packet, <= 0.5), GOAL_ALLOC_RATIO (>= 2), loss 0.
set -euo pipefail
bin=$(dirname "$PARLEYD")
ALLOC_BURST=${RELAY_ALLOC_BURST:-$bin/relay_alloc_burst}
FLOOR=${RELAY_FLOOR:-$bin/relay_floor}
threads=${THREADS:-2}
clients=${CLIENTS:-100}
messages=${MESSAGES:-1000}
length=${LENGTH:-120}
interval=${INTERVAL_MS:-5}
allocs=${ALLOCS:-10000}
alloc_conc=${ALLOC_CONCURRENCY:-64}
alloc_threads=${ALLOC_THREADS:-1}
repeat=${REPEAT:-3}
deadline=${DEADLINE:-180}
goal_cpu=${GOAL_CPU_RATIO:-0.5}
goal_alloc=${GOAL_ALLOC_RATIO:-2}
user=bench
password=bench-relay-password-1
realm=bench.example.org

for tool in turnserver turnutils_uclient turnutils_peer; do
  command -v "$tool" >/dev/null || { echo "relay: $tool is missing (Debian package coturn; scripts/setup)" >&2; exit 1; }
done
[ -x "$ALLOC_BURST" ] || { echo "relay: $ALLOC_BURST is missing (build target relay_alloc_burst)" >&2; exit 1; }
[ -x "$FLOOR" ] || { echo "relay: $FLOOR is missing (build target relay_floor)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Listener ports and the two relay port ranges (Parley 10000-21299, coturn 21300-32599) below the
# kernel's ephemeral range (32768..) and apart from each other, so a relay port never collides with
# a client socket or with the other server. coturn frees a relay port only a while after its
# Refresh 0, so a burst of more allocations than about 1.8x its range answers 508 (counted as
# failed); hence ALLOCS stays well below that.
base=$(( 5000 + RANDOM % 4000 ))
coturn_port=$base
parley_port=$(( base + 1 ))
peer_port=$(( base + 2 ))

# --- the echo peer both relays send to
turnutils_peer -L 127.0.0.1 -p "$peer_port" >"$work/peer.log" 2>&1 &
pids+=($!)

# --- coturn: no config file, long-term user, loopback peers allowed, no bandwidth cap
turnserver -n --no-cli --no-tls --no-dtls --no-tcp-relay \
  --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 -p "$coturn_port" \
  --min-port 21300 --max-port 32599 --relay-threads "$threads" \
  --lt-cred-mech --user "$user:$password" --realm "$realm" \
  --allow-loopback-peers --max-bps 0 --total-quota 0 --user-quota 0 \
  --log-file "$work/coturn.log" --simple-log --pidfile "$work/coturn.pid" >"$work/coturn.out" 2>&1 &
coturn_pid=$!
pids+=("$coturn_pid")

# --- Parley: edge role only, the same user, realm and thread count
cat >"$work/parleyd.toml" <<TOML
data_dir = "$work/data"
log_level = "warn"
[roles]
frontend = false
edge = true
[edge]
udp = ["127.0.0.1:$parley_port"]
tcp = []
tls = []
relay_port_min = 10000
relay_port_max = 21299
realm = "$realm"
allowed_peers = ["127.0.0.0/8"]
max_allocations = 1000000
max_allocations_per_user = 100000
max_bandwidth_bytes_per_second = 0
threads = $threads
[[edge.users]]
name = "$user"
password = "$password"
TOML
"$PARLEYD" --config "$work/parleyd.toml" >"$work/parleyd.log" 2>&1 &
parley_pid=$!
pids+=("$parley_pid")
for _ in $(seq 1 500); do
  [ -f "$work/data/parleyd.endpoints.json" ] && grep -q "\"pid\":${parley_pid}[,}]" "$work/data/parleyd.endpoints.json" && break
  kill -0 "$parley_pid" 2>/dev/null || break
  sleep 0.02
done
if ! grep -qs "\"pid\":${parley_pid}[,}]" "$work/data/parleyd.endpoints.json"; then
  echo "parleyd (edge) did not start:" >&2; tail -20 "$work/parleyd.log" >&2; exit 1
fi

# Both are ready once one allocation goes through.
ready() {  # name port pid
  for _ in $(seq 1 20); do
    kill -0 "$3" 2>/dev/null || break
    if "$ALLOC_BURST" --server "127.0.0.1:$2" --user "$user" --password "$password" --count 1 \
         --concurrency 1 --deadline 3 --source-offset 16000000 >"$work/ready.out" 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "$1 does not allocate:" >&2
  cat "$work/ready.out" >&2
  [ "$1" = coturn ] && tail -20 "$work/coturn.log" >&2 || tail -20 "$work/parleyd.log" >&2
  exit 1
}
ready coturn "$coturn_port" "$coturn_pid"
ready parley "$parley_port" "$parley_pid"

tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
alive() {  # name pid
  kill -0 "$2" 2>/dev/null && return 0
  echo "$1 died during the run" >&2
  [ "$1" = coturn ] && tail -30 "$work/coturn.log" >&2 || tail -30 "$work/parleyd.log" >&2
  exit 1
}

# One uclient run: appends "cpu_per_packet_us relayed lost" to $work/relay.<name>.
relay_run() {  # name port pid round
  local name=$1 port=$2 pid=$3 out=$work/uclient.$1.$4.out rc=0 before after
  before=$(cpu_ticks "$pid")
  local t0; t0=$(date +%s%N)
  timeout "$deadline" turnutils_uclient -c -m "$clients" -n "$messages" -l "$length" -z "$interval" \
    -e 127.0.0.1 -r "$peer_port" -u "$user" -w "$password" -p "$port" 127.0.0.1 >"$out" 2>&1 || rc=$?
  after=$(cpu_ticks "$pid")
  echo $(( ($(date +%s%N) - t0) / 1000000 )) >"$work/elapsed.$name"
  alive "$name" "$pid"
  local sent recv lost
  sent=$(sed -n 's/.*start_mclient: tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\).*/\1/p' "$out" | tail -1)
  recv=$(sed -n 's/.*start_mclient: tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\).*/\2/p' "$out" | tail -1)
  lost=$(sed -n 's/.*Total lost packets \([0-9]*\) .*/\1/p' "$out" | tail -1)
  if (( rc != 0 )) || [ -z "$sent" ] || [ -z "$lost" ] || (( sent == 0 )); then
    echo "uclient against $name failed (exit $rc); its output:" >&2
    grep -v 'start_mclient: msz=' "$out" | tail -40 >&2
    echo "n/a n/a n/a" >>"$work/relay.$name"
    return 0
  fi
  local relayed=$(( sent + recv ))
  awk -v t=$(( after - before )) -v hz="$tck" -v n="$relayed" -v l="$lost" \
    'BEGIN { printf "%.3f %d %d\n", t / hz * 1e6 / n, n, l }' >>"$work/relay.$name"
  echo "  $name: relayed $relayed packets ($sent sent, $recv echoed back), lost $lost, server CPU $(awk -v t=$(( after - before )) -v hz="$tck" 'BEGIN { printf "%.2f", t / hz }') s" >&2
}

# The same load through the bare forwarder, paced over the time Parley's last run took: appends
# "cpu_per_packet_us forwarded lost" to $work/relay.floor.
floor_run() {
  local out=$work/floor.out rc=0 ms z n l
  ms=$(cat "$work/elapsed.parley" 2>/dev/null || echo $(( messages * interval )))
  "$FLOOR" --peer "127.0.0.1:$peer_port" --threads "$threads" --clients "$clients" --messages "$messages" \
    --length "$length" --duration-ms "$ms" --deadline "$deadline" >"$out" 2>&1 || rc=$?
  z=$(sed -n 's/.*: \([0-9.]*\) us\/packet$/\1/p' "$out")
  n=$(sed -n 's/.*forwarded \([0-9]*\) packets.*/\1/p' "$out")
  l=$(sed -n 's/.*, lost \(-\{0,1\}[0-9]*\),.*/\1/p' "$out")
  if (( rc != 0 )) || [ -z "$z" ]; then
    echo "relay_floor failed (exit $rc):" >&2; cat "$out" >&2
    echo "n/a n/a n/a" >>"$work/relay.floor"; return 0
  fi
  echo "  floor: $(cat "$out")" >&2
  echo "$z $n $l" >>"$work/relay.floor"
}

# One allocation burst: appends "allocations_per_s cpu_per_allocation_us failed" to $work/alloc.<name>.
source_offset=0
alloc_run() {  # name port pid
  local name=$1 port=$2 pid=$3 out=$work/alloc.$1.out rc=0 before after
  before=$(cpu_ticks "$pid")
  "$ALLOC_BURST" --server "127.0.0.1:$port" --user "$user" --password "$password" --count "$allocs" \
    --concurrency "$alloc_conc" --threads "$alloc_threads" --deadline "$deadline" \
    --source-offset "$source_offset" >"$out" 2>&1 || rc=$?
  source_offset=$(( source_offset + allocs ))  # no source address is used twice in one benchmark
  after=$(cpu_ticks "$pid")
  alive "$name" "$pid"
  echo "  $name: $(cat "$out")" >&2
  local rate ndone failed
  rate=$(sed -n 's/.* s: \([0-9]*\) allocations\/s.*/\1/p' "$out")
  ndone=$(sed -n 's/^alloc_burst: \([0-9]*\) of.*/\1/p' "$out")
  failed=$(sed -n 's/.*; failed \([0-9]*\);.*/\1/p' "$out")
  if [ -z "$rate" ] || [ -z "$ndone" ] || (( ndone == 0 )); then
    echo "n/a n/a n/a" >>"$work/alloc.$name"; return 0
  fi
  (( rc == 0 )) || echo "  $name: allocation burst incomplete (exit $rc)" >&2
  awk -v r="$rate" -v t=$(( after - before )) -v hz="$tck" -v n="$ndone" -v f="$failed" \
    'BEGIN { printf "%s %.2f %d\n", r, t / hz * 1e6 / n, f }' >>"$work/alloc.$name"
}

: >"$work/relay.coturn"; : >"$work/relay.parley"; : >"$work/relay.floor"; : >"$work/alloc.coturn"; : >"$work/alloc.parley"
for r in $(seq 1 "$repeat"); do
  if (( r % 2 )); then order="coturn parley"; else order="parley coturn"; fi
  echo "== round $r/$repeat: $clients uclient sessions x $messages messages of $length bytes every $interval ms; $allocs allocations" >&2
  for s in $order; do
    if [ "$s" = coturn ]; then relay_run coturn "$coturn_port" "$coturn_pid" "$r"; else relay_run parley "$parley_port" "$parley_pid" "$r"; fi
  done
  floor_run
  for s in $order; do
    if [ "$s" = coturn ]; then alloc_run coturn "$coturn_port" "$coturn_pid"; else alloc_run parley "$parley_port" "$parley_pid"; fi
  done
done

if grep -qiE 'error|assert|abort' "$work/parleyd.log"; then
  echo "parleyd logged errors:" >&2
  grep -iE 'error|assert|abort' "$work/parleyd.log" | sort | uniq -c | sort -rn | head -10 >&2
fi

# --- figures
median() { grep -v '^n/a$' | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "n/a"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
col() { awk -v c="$2" '{print $c}' "$1"; }
runs() { col "$1" "$2" | tr '\n' ' '; }
sum_lost() { col "$1" 3 | awk '$1 == "n/a" {na=1} {s+=$1} END {print na ? "n/a" : s}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b == 0) print "n/a"; else printf "%.3f", a / b }'; }
verdict() {  # value goal higher|lower
  [ "$1" != "n/a" ] || { echo " (NOT met: no figure)"; return; }
  if awk -v v="$1" -v g="$2" -v d="$3" 'BEGIN { exit !((d == "higher") ? v >= g : v <= g) }'; then echo " (met)";
  else echo " (NOT met)"; fi
}
c_cpu=$(col "$work/relay.coturn" 1 | median); p_cpu=$(col "$work/relay.parley" 1 | median)
c_pk=$(col "$work/relay.coturn" 2 | median); p_pk=$(col "$work/relay.parley" 2 | median)
f_cpu=$(col "$work/relay.floor" 1 | median); f_pk=$(col "$work/relay.floor" 2 | median)
c_lost=$(sum_lost "$work/relay.coturn"); p_lost=$(sum_lost "$work/relay.parley")
c_rate=$(col "$work/alloc.coturn" 1 | median); p_rate=$(col "$work/alloc.parley" 1 | median)
c_acpu=$(col "$work/alloc.coturn" 2 | median); p_acpu=$(col "$work/alloc.parley" 2 | median)
c_fail=$(sum_lost "$work/alloc.coturn"); p_fail=$(sum_lost "$work/alloc.parley")
cpu_ratio=$(ratio "$p_cpu" "$c_cpu"); alloc_ratio=$(ratio "$p_rate" "$c_rate")

echo
echo "TURN relay, Parley edge vs coturn $(turnserver --version 2>/dev/null | head -1) (loopback, UDP, $threads relay threads each, $(nproc) cores; $repeat rounds, medians):"
echo "  Relaying: turnutils_uclient -c -m $clients -n $messages -l $length -z $interval (channels) to turnutils_peer echo"
printf '    %-7s %8s us CPU/packet  (%s packets/run)  lost %s   runs: %s\n' coturn "$c_cpu" "$c_pk" "$c_lost" "$(runs "$work/relay.coturn" 1)"
printf '    %-7s %8s us CPU/packet  (%s packets/run)  lost %s   runs: %s\n' Parley "$p_cpu" "$p_pk" "$p_lost" "$(runs "$work/relay.parley" 1)"
printf '    %-7s %8s us CPU/packet  (%s packets/run)  runs: %s   (bench/relay_floor: bare ChannelData forwarder, no TURN logic)\n' floor "$f_cpu" "$f_pk" "$(runs "$work/relay.floor" 1)"
echo "  Allocations: relay_alloc_burst $allocs x (Allocate 401, Allocate, Refresh 0), $alloc_conc at once, $alloc_threads client thread(s), new source address each"
printf '    %-7s %8s allocations/s  (%s us server CPU each)  failed %s   runs: %s\n' coturn "$c_rate" "$c_acpu" "$c_fail" "$(runs "$work/alloc.coturn" 1)"
printf '    %-7s %8s allocations/s  (%s us server CPU each)  failed %s   runs: %s\n' Parley "$p_rate" "$p_acpu" "$p_fail" "$(runs "$work/alloc.parley" 1)"
echo "Goals:"
echo "  CPU per relayed packet, Parley/coturn: $cpu_ratio (goal <= $goal_cpu)$(verdict "$cpu_ratio" "$goal_cpu" lower)"
echo "    the least reachable here: floor/coturn $(ratio "$f_cpu" "$c_cpu"); Parley spends $(ratio "$p_cpu" "$f_cpu")x the floor"
echo "  allocation rate, Parley/coturn: $alloc_ratio (goal >= $goal_alloc)$(verdict "$alloc_ratio" "$goal_alloc" higher)"
echo "  packets lost through Parley: $p_lost over $repeat runs (goal 0)$(verdict "$p_lost" 0 lower)"
