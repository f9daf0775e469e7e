# Shared by the benchmark scripts' summaries. Sourced after $work and $results are set.

# Prints what parleyd's log says about errors (the run itself may still have passed).
report_log_errors() {
  if grep -qiE 'error|assert|abort' "$work/parleyd.log"; then
    echo "parleyd logged errors:" >&2
    grep -iE 'error|assert|abort' "$work/parleyd.log" | sort | uniq -c | sort -rn | head -10 >&2
  fi
}

# The first match of a sed expression (with /p) in the collected results.
field() { sed -n "$1" "$results" | head -1; }

# " (met)" / " (NOT met)" for value $1 against goal $2, where $3 says whether higher or lower is
# better; nothing when either is missing.
verdict() {
  [ -n "$1" ] && [ -n "$2" ] || { echo ""; return; }
  if awk -v v="$1" -v g="$2" -v d="$3" 'BEGIN { exit !((d == "higher") ? v >= g : v <= g) }'; then echo " (met)";
  else echo " (NOT met)"; fi
}
