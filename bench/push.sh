#!/usr/bin/env bash
# Push notifications: APNs notifications/s over one HTTP/2 connection, event-to-provider delay.
# Both against the local provider mock (tests/push/push_mock.mjs, Node), keys generated here.
# 1. push_rate: Parley's APNs provider sends PUSH_COUNT (20000) alerts, PUSH_WINDOW (500) in
#    flight, one io_context thread, PUSH_RUNS (3) runs, median (PUSH_COUNT=0 skips); then the
#    same load from a Node http2 client (bench/push_mock_ceiling.mjs), the mock's own ceiling,
#    to tell who limits.
# 2. push_delay: parleyd with [push.apns] at the mock; Bob's phone app in the background (never
#    polls); Alice sends PUSH_MESSAGES (300) messages PUSH_GAP_MS (20) apart; delay from her POST
#    to the mock's record of the push, p50/p99; then `parley test-push` for Bob's phone.
# Goals: GOAL_PUSH_RATE (10000 notifications/s), GOAL_PUSH_P99_MS (unset: the delay is printed
# without a verdict). PUSH_KEEP=1 keeps the work directory (logs, keys) for a look afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(dirname "$PARLEYD")
PARLEY=${PARLEY:-$bin/parley}
PUSH_RATE=${PUSH_RATE:-$bin/push_rate}
NODE=${NODE:-node}
count=${PUSH_COUNT:-20000}
window=${PUSH_WINDOW:-500}
runs=${PUSH_RUNS:-3}
messages=${PUSH_MESSAGES:-300}
gap_ms=${PUSH_GAP_MS:-20}
goal_rate=${GOAL_PUSH_RATE:-10000}
goal_p99=${GOAL_PUSH_P99_MS:-}
password=bench-password-1
team_id=TEAM123456
key_id=KEY1234567
topic=org.example.parley

work=$(mktemp -d)
source "$here/lib/parleyd.sh"
source "$here/lib/report.sh"
mock_pid=""
stop_mock() {
  [ -n "$mock_pid" ] || return 0
  kill -TERM "$mock_pid" 2>/dev/null || true
  wait "$mock_pid" 2>/dev/null || true
  mock_pid=""
}
trap 'stop_server; stop_mock; [ -n "${PUSH_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"' EXIT

# Keys as a real deployment has them: the mock's TLS certificate (its CA file for the senders) and
# an APNs .p8 (PKCS#8 EC P-256) whose public half the mock checks the provider tokens with.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/tls.key" \
  -out "$work/tls.crt" -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/AuthKey.p8"
openssl pkey -in "$work/AuthKey.p8" -pubout -out "$work/apns.pub.pem"
cat >"$work/mock.json" <<JSON
{"key": "$work/tls.key", "cert": "$work/tls.crt",
 "apns": {"teamId": "$team_id", "keyId": "$key_id", "publicKeyPem": "$work/apns.pub.pem", "topics": ["$topic"]}}
JSON

"$NODE" "$here/../tests/push/push_mock.mjs" "$work/mock.json" >"$work/mock.out" 2>"$work/mock.log" &
mock_pid=$!
for _ in $(seq 1 250); do grep -q port "$work/mock.out" 2>/dev/null && break; kill -0 "$mock_pid" 2>/dev/null || break; sleep 0.02; done
mock_port=$(sed -n 's/.*"port": *\([0-9]*\).*/\1/p' "$work/mock.out")
if [ -z "$mock_port" ]; then echo "the push mock did not start:" >&2; cat "$work/mock.log" >&2; exit 1; fi
mock_url=https://127.0.0.1:$mock_port

echo "note: load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
results=$work/results.txt
: >"$results"
status=0

if (( count > 0 )); then
echo "== push_rate: $count APNs alerts, window $window, $runs runs (Parley's provider, libcurl HTTP/2)" >&2
"$PUSH_RATE" --url "$mock_url" --ca "$work/tls.crt" --key "$work/AuthKey.p8" --key-id "$key_id" \
  --team-id "$team_id" --topic "$topic" --count "$count" --window "$window" --runs "$runs" \
  --mock-pid "$mock_pid" | tee "$work/rate.out" || status=1
grep -E '^push_rate(: the |: neither | median)' "$work/rate.out" >>"$results" || true

echo "== the mock alone: the same alerts from a Node http2 client, one session" >&2
"$NODE" "$here/push_mock_ceiling.mjs" --url "$mock_url" --ca "$work/tls.crt" --key "$work/AuthKey.p8" \
  --key-id "$key_id" --team-id "$team_id" --topic "$topic" --count "$count" --window "$window" --runs "$runs" \
  --mock-pid "$mock_pid" | tee "$work/ceiling.out" || status=1
grep -E '^push_mock_ceiling median' "$work/ceiling.out" >>"$results" || true
fi

# parleyd with APNs at the mock. The grace period stays at its default: Bob's application never
# polls, so it has been quiet longer than that and every push goes at once.
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
idle_timeout_seconds = 3600
[passwords]
opslimit = 1
memlimit = 8192
[ucwa]
idle_timeout_without_event_channel = 3600
[im]
ring_timeout_seconds = 300
[roles]
edge = false
[push.apns]
key_file = "$work/AuthKey.p8"
key_id = "$key_id"
team_id = "$team_id"
topic = "$topic"
url = "$mock_url"
sandbox_url = "$mock_url"
ca_file = "$work/tls.crt"
TOML
printf 'sipUri,password\nalice@example.org,%s\nbob@example.org,%s\n' "$password" "$password" >"$work/users.csv"

echo "== push_delay: $messages messages from Alice, $gap_ms ms apart, Bob's phone in the background" >&2
start_server
"$PARLEY" --data-dir "$work/data" user import "$work/users.csv" >/dev/null
"$PARLEY" --data-dir "$work/data" config set push --enable-apple-push-notification-service true >/dev/null
"$NODE" "$here/push_delay.mjs" --data-dir "$work/data" --mock "$mock_url" --mock-ca "$work/tls.crt" \
  --messages "$messages" --gap-ms "$gap_ms" --password "$password" | tee "$work/delay.out" || status=1
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "parleyd died during push_delay" >&2
  tail -30 "$work/parleyd.log" >&2
  server_pid=""
  status=1
fi
grep -E '^push_delay' "$work/delay.out" >>"$results" || true
# What an administrator sees: a test notification to Bob's phone through the same pipeline.
echo "== parley test-push bob@example.org" >&2
"$PARLEY" --data-dir "$work/data" test-push bob@example.org | tee "$work/test-push.out" || status=1
stop_server
report_log_errors

# The figures against the goals.
rate=$(field 's/^push_rate median of [0-9]*: \([0-9]*\) notifications\/s.*/\1/p')
rate_p99=$(field 's/^push_rate median of [0-9]*: .* p99 \([0-9.]*\) ms.*/\1/p')
rate_cpu=$(field 's/^push_rate median of [0-9]*: .*, CPU \(mock [0-9]*% sender [0-9]*%\).*/\1/p')
ceiling=$(field 's/^push_mock_ceiling median of [0-9]*: \([0-9]*\) notifications\/s.*/\1/p')
ceiling_cpu=$(field 's/^push_mock_ceiling median of [0-9]*: .*, CPU \(mock [0-9]*% sender [0-9]*%\).*/\1/p')
delay_p50=$(field 's/^push_delay M=[0-9]* .*: p50 \([0-9.]*\) ms.*/\1/p')
delay_p99=$(field 's/^push_delay M=[0-9]* .*: p50 [0-9.]* ms p99 \([0-9.]*\) ms.*/\1/p')
arrived=$(field 's/^push_delay M=[0-9]* .*, \([0-9]*\/[0-9]*\) arrived.*/\1/p')
echo
echo "Push notifications (loopback, TLS, provider mock in Node on the same $(nproc)-core machine):"
sed 's/^/  /' "$results"
printf '  %-52s %s\n' "figure" "value"
printf '  %-52s %s\n' "APNs notifications/s, one HTTP/2 connection (median)" \
  "${rate:-n/a} (goal >= $goal_rate)$(verdict "$rate" "$goal_rate" higher)${rate_cpu:+, CPU $rate_cpu}"
printf '  %-52s %s\n' "  request latency p99 at window $window" "${rate_p99:-n/a} ms"
printf '  %-52s %s\n' "the mock's ceiling (Node http2 client, median)" "${ceiling:-n/a}/s${ceiling_cpu:+, CPU $ceiling_cpu}"
printf '  %-52s %s\n' "event-to-provider delay p50" "${delay_p50:-n/a} ms"
printf '  %-52s %s\n' "event-to-provider delay p99" \
  "${delay_p99:-n/a} ms${goal_p99:+ (goal <= $goal_p99 ms)}$(verdict "$delay_p99" "$goal_p99" lower)"
printf '  %-52s %s\n' "pushes arrived" "${arrived:-n/a}"
echo "  parley test-push bob@example.org:"
sed 's/^/    /' "$work/test-push.out" 2>/dev/null || true
exit "$status"
