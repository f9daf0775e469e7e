#!/usr/bin/env bash
# Discovery root vs nginx (same bytes, static file), token-authenticated user resource, sign-ins.
# Parley runs with 1 worker thread and nginx with 1 worker; wrk (1 thread, 64 keep-alive
# connections) on loopback drives each in the same run. Rounds alternate; medians are printed.
set -euo pipefail
seconds=${1:-8}
rounds=${2:-3}
work=$(mktemp -d)
chmod 755 "$work"  # nginx workers run as an unprivileged user and must reach www/
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
rps() { awk '/^Requests\/sec:/ {print $2}'; }

# --- Parley: 1 thread, plain-HTTP discovery on, its store in $work/data.
cat >"$work/parleyd.toml" <<TOML
data_dir = "$work/data"
threads = 1
log_level = "warn"
[sites.internal]
https = "127.0.0.1:0"
[sites.external]
https = "127.0.0.1:0"
http = "127.0.0.1:0"
[discovery]
http_discovery = true
# The web API alone: no media relay in the measured process (bench/run relay measures it).
[roles]
edge = false
TOML
"$PARLEYD" --config "$work/parleyd.toml" >"$work/parleyd.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 500); do [ -f "$work/data/parleyd.endpoints.json" ] && break; sleep 0.02; done
ep=$(cat "$work/data/parleyd.endpoints.json")
url_of() { echo "$ep" | grep -o "\"$1\":{[^}]*}" | grep -o "\"$2\":\"[^\"]*\"" | sed 's/.*":"//; s/"$//'; }
ext_http=$(url_of external http); ext_https=$(url_of external https); int_https=$(url_of internal https)
ca=$work/data/pki/ca.pem
root_path="/Autodiscover/AutodiscoverService.svc/root?originalDomain=example.org"

# --- nginx: 1 worker, serving Parley's own answer as a static file.
mkdir -p "$work/www/Autodiscover/AutodiscoverService.svc" "$work/nginx"
curl -sf -H 'Accept: application/json' "$ext_http$root_path" >"$work/www/Autodiscover/AutodiscoverService.svc/root"
nginx_port=$(( 20000 + RANDOM % 20000 ))
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
    location / { add_header Cache-Control no-cache; }
  }
}
NGINX
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$nginx_port$root_path" >/dev/null && break; sleep 0.02; done
cmp -s <(curl -sf "http://127.0.0.1:$nginx_port$root_path") <(curl -sf -H 'Accept: application/json' "$ext_http$root_path") \
  || { echo "nginx and Parley do not serve the same bytes" >&2; exit 1; }
bytes=$(wc -c <"$work/www/Autodiscover/AutodiscoverService.svc/root")

p_runs=() n_runs=()
for _ in $(seq 1 "$rounds"); do
  p_runs+=("$(wrk -t1 -c64 -d"${seconds}s" -H 'Accept: application/json' "$ext_http$root_path" | rps)")
  n_runs+=("$(wrk -t1 -c64 -d"${seconds}s" -H 'Accept: application/json' "http://127.0.0.1:$nginx_port$root_path" | rps)")
done
p_med=$(printf '%s\n' "${p_runs[@]}" | median)
n_med=$(printf '%s\n' "${n_runs[@]}" | median)
echo "Discovery root ($bytes-byte JSON, plain HTTP, keep-alive, wrk -t1 -c64, ${seconds}s x $rounds rounds, medians):"
echo "  Parley (1 thread): $p_med req/s    runs: ${p_runs[*]}"
echo "  nginx (1 worker):  $n_med req/s    runs: ${n_runs[*]}"
round_ratios=$(for i in "${!p_runs[@]}"; do awk -v a="${p_runs[$i]}" -v b="${n_runs[$i]}" 'BEGIN {printf "%.3f ", a/b}'; done)
echo "  ratio Parley/nginx (medians): $(awk -v a="$p_med" -v b="$n_med" 'BEGIN {printf "%.3f", a/b}')   per round: ${round_ratios}  (goal >= 1.0)"

# --- A user and a token for the authenticated part.
cred=$(cat "$work/data/admin.credential")
curl -sf --cacert "$ca" -H "Authorization: Bearer $cred" -H 'Content-Type: application/json' \
  -d '{"sipUri":"bench@example.org","password":"bench-password-1"}' "$int_https/admin/v1/users" >/dev/null
signin_body='grant_type=password&username=bench%40example.org&password=bench-password-1'
token=$(curl -sf --cacert "$ca" -d "$signin_body" "$ext_https/WebTicket/oauthtoken" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
user_path="/Autodiscover/AutodiscoverService.svc/root/oauth/user?originalDomain=example.org"
curl -sf --cacert "$ca" -H "Authorization: Bearer $token" "$ext_https$user_path" >/dev/null \
  || { echo "the token does not open the user resource" >&2; exit 1; }
u_runs=() u_p99=()
for _ in $(seq 1 "$rounds"); do
  out=$(wrk -t1 -c64 -d"${seconds}s" --latency -H "Authorization: Bearer $token" -H 'Accept: application/json' "$ext_https$user_path")
  u_runs+=("$(echo "$out" | rps)")
  u_p99+=("$(echo "$out" | awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}')")
done
echo "Token-authenticated GET of the user resource (HTTPS, keep-alive, wrk -t1 -c64, 1 thread):"
echo "  $(printf '%s\n' "${u_runs[@]}" | median) req/s, p99 $(printf '%s\n' "${u_p99[@]}" | median) ms    runs: ${u_runs[*]}"

# --- Password sign-ins: argon2id-bound; the cost parameters are the configured defaults.
cat >"$work/signin.lua" <<LUA
wrk.method = "POST"
wrk.body = "$signin_body"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA
s_runs=()
for _ in $(seq 1 "$rounds"); do
  s_runs+=("$(wrk -t1 -c8 -d"${seconds}s" -s "$work/signin.lua" "$ext_https/WebTicket/oauthtoken" | rps)")
done
echo "Password sign-ins (POST /WebTicket/oauthtoken, argon2id opslimit=2 memlimit=64 MiB, 1 web thread, 2 worker threads, 2 cores):"
echo "  $(printf '%s\n' "${s_runs[@]}" | median) sign-ins/s    runs: ${s_runs[*]}"
