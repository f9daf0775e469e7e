#!/usr/bin/env bash
# Start-up time to the first answered request, and idle RSS; median of N runs (default 10).
# Compares a first start (new data directory: store created, CA generated) with a restart.
set -euo pipefail
runs=${1:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# Starts parleyd on ephemeral loopback ports with data in $1; prints "<ms to first 200> <idle RSS kB>".
measure() {
  local data=$1 cfg=$work/parleyd.toml
  cat >"$cfg" <<TOML
data_dir = "$data"
[sites.internal]
https = "127.0.0.1:0"
[sites.external]
https = "127.0.0.1:0"
http = "127.0.0.1:0"
# The web API alone: no media relay in the measured process (bench/run relay measures it).
[roles]
edge = false
TOML
  rm -f "$data/parleyd.endpoints.json"
  local t0 t1 pid url=""
  t0=$(date +%s%N)
  "$PARLEYD" --config "$cfg" >"$work/out.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 3000); do
    if [ -z "$url" ] && [ -f "$data/parleyd.endpoints.json" ]; then
      url=$(grep -o '"internal":{"https":"[^"]*"' "$data/parleyd.endpoints.json" | sed 's/.*"https":"//; s/"$//')
    fi
    if [ -n "$url" ] && curl -sf --cacert "$data/pki/ca.pem" "$url/health" >/dev/null 2>&1; then break; fi
    sleep 0.005
  done
  t1=$(date +%s%N)
  sleep 2  # let start-up work settle before reading the idle footprint
  local rss
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"
  wait "$pid"
  echo "$(( (t1 - t0) / 1000000 )) $rss"
}

first=() restart=() rss=()
for i in $(seq 1 "$runs"); do
  read -r ms kb < <(measure "$work/data-$i")
  first+=("$ms")
  read -r ms kb < <(measure "$work/data-$i")
  restart+=("$ms"); rss+=("$kb")
done
echo "parleyd start-up, median of $runs runs (time to the first answered GET /health over HTTPS):"
echo "  first start (new data dir, CA generated): $(printf '%s\n' "${first[@]}" | median) ms"
echo "  restart (existing data dir):              $(printf '%s\n' "${restart[@]}" | median) ms"
echo "  idle RSS after restart:                   $(printf '%s\n' "${rss[@]}" | median) kB"
echo "  (no peer: this is a baseline to compare later releases against)"
