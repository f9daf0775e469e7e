#!/usr/bin/env bash
# Calls: set-up time through Parley's relay (offer created to 'connected' on the caller), median of 10.
# Real Chromium (fake camera and microphone) on both ends, iceTransportPolicy 'relay', UDP relay;
# ringing and the callee's automatic answer are included. It runs the browser call test
# (tests/web/calls_test.mjs), whose 10-call step measures it, and prints that figure; the issue
# names no peer to compare against. Needs the built web client (scripts/setup does it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=$(dirname "$PARLEYD")
PARLEY=${PARLEY:-$bin/parley}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "note: load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
log="$out/calls.log"
if ! node "$root/tests/web/calls_test.mjs" --parleyd "$PARLEYD" --parley "$PARLEY" \
    --client "$root/client" --out "$out" >"$log" 2>&1; then
  tail -30 "$log" >&2
  echo "calls: the browser call test failed; no figure" >&2
  exit 1
fi
line=$(grep -m1 '^call setup median:' "$log") || { echo "calls: no set-up figure in the output" >&2; exit 1; }
echo "$line"
echo
echo "Calls (loopback, Chromium on both ends, relay only):"
printf '  %-52s %s\n' "figure" "value"
printf '  %-52s %s\n' "call set-up, offer to connected (median of 10)" "$(sed 's/^call setup median: \([0-9]*\) ms.*/\1 ms/' <<<"$line")"
