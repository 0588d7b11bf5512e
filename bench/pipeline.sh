#!/usr/bin/env bash
# End-to-end throughput of a running Eventflow: one request of COUNT passive events and one of COUNT active
# events, timed at the ingest (202) and until every event is stored (exact counts from GET /api/metrics).
# Usage: bench/pipeline.sh [BASE_URL] [COUNT]      e.g. bench/pipeline.sh http://localhost:8080 10000
set -euo pipefail
base=${1:-http://localhost:8080}
count=${2:-10000}

now_ms() { date +%s%3N; }
counts() {
  curl -sf "$base/api/metrics" | python3 -c 'import json,sys; t=json.load(sys.stdin)["topics"]; print(t["topic1"]["count"], t["topic2"]["count"], t["topic3"]["count"])'
}
post() {
  curl -sf -o /dev/null -X POST "$base/api/events" -H 'Content-Type: application/json' \
       -d "{\"eventType\":\"$1\",\"count\":$count}" || { echo "ingest of $1 failed" >&2; exit 1; }
}

read -r c1 c2 c3 < <(counts)
start=$(now_ms)
post passiveEvent; t_passive=$(now_ms)
post activeEvent; t_active=$(now_ms)
until read -r n1 n2 n3 < <(counts) && [ $((n1 - c1)) -ge "$count" ] && [ $((n3 - c3)) -ge "$count" ]; do sleep 0.2; done
t_done=$(now_ms)

ingest_ms=$((t_active - start)); total_ms=$((t_done - start))
printf '%-44s %10s %12s\n' "step ($count passive + $count active events)" "ms" "events/s"
printf '%-44s %10d %12d\n' "ingest passive (202)" $((t_passive - start)) $((count * 1000 / (t_passive - start)))
printf '%-44s %10d %12d\n' "ingest active (202)" $((t_active - t_passive)) $((count * 1000 / (t_active - t_passive)))
printf '%-44s %10d %12d\n' "all stored (topic1 + topic2 + topic3 rows)" "$total_ms" $((3 * count * 1000 / total_ms))
