#!/usr/bin/env bash
# Time from `java -jar target/eventflow-*.jar` (embedded default) to the first accepted event (202),
# with a new data dir and with an existing one. Prints one table; medians over RUNS runs.
# Usage: ./mvnw -q -DskipTests package && bench/startup.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
port=18181
jar=$(ls target/eventflow-*.jar 2>/dev/null | head -1 || true)
[ -n "$jar" ] && [ -f "$jar" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 1; }
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT

time_to_first_event() {
  local data=$1 start end pid
  start=$(date +%s%N)
  java -jar "$jar" --server.port=$port --management.server.port=0 --eventflow.data-dir="$data" >"$dir/app.log" 2>&1 &
  pid=$!
  until curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/events" \
      -H 'Content-Type: application/json' -d '{"eventType":"passiveEvent"}' 2>/dev/null | grep -q 202; do
    kill -0 $pid 2>/dev/null || { echo "Eventflow exited:" >&2; tail -20 "$dir/app.log" >&2; exit 1; }
    sleep 0.05
  done
  end=$(date +%s%N)
  kill $pid; wait $pid 2>/dev/null || true
  echo $(( (end - start) / 1000000 ))
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

fresh=(); again=()
for i in $(seq 1 "$runs"); do
  fresh+=("$(time_to_first_event "$dir/data-$i")")
  again+=("$(time_to_first_event "$dir/data-$i")")
done
printf '%-34s %10s %s\n' "start-up to first accepted event" "median ms" "runs (ms)"
printf '%-34s %10s %s\n' "new data dir" "$(printf '%s\n' "${fresh[@]}" | median)" "${fresh[*]}"
printf '%-34s %10s %s\n' "existing data dir" "$(printf '%s\n' "${again[@]}" | median)" "${again[*]}"
