# parleyd for a benchmark: started with $work/parleyd.toml (data in $work/data, log in
# $work/parleyd.log) and stopped gracefully. Sourced by bench/im.sh and bench/ucwa.sh, which set $work
# and $PARLEYD first.
server_pid=""
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

start_server() {
  rm -f "$work/data/parleyd.endpoints.json"
  "$PARLEYD" --config "$work/parleyd.toml" >>"$work/parleyd.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 500); do
    if [ -f "$work/data/parleyd.endpoints.json" ] && grep -q "\"pid\":$server_pid[,}]" "$work/data/parleyd.endpoints.json"; then
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.02
  done
  echo "parleyd did not start:" >&2
  tail -20 "$work/parleyd.log" >&2
  exit 1
}
