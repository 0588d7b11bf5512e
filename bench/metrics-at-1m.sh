#!/usr/bin/env bash
# GET /api/metrics against a million rows per table: loads ROWS rows into each of topic1..3 of a database of its
# own (processed over the last SPREAD_HOURS, so the 5-minute window holds ROWS*5/(60*SPREAD_HOURS) of them), starts
# Eventflow on it and on a RabbitMQ vhost of its own, calls GET /api/metrics CALLS times on one keep-alive
# connection and prints the latency percentiles and whether the counts equal count(*).
#
# Needs: PostgreSQL on 127.0.0.1:5432 (user postgres), RabbitMQ on 127.0.0.1:5672 (guest/guest, rabbitmqctl on
# this machine), curl, python3. Drops the database and the vhost afterwards unless KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-1000000}
CALLS=${CALLS:-1000}
WARMUP=${WARMUP:-300}
SPREAD_HOURS=${SPREAD_HOURS:-24}
PORT=${PORT:-18080}
DB=${DB:-eventflow_bench}
VHOST=${VHOST:-eventflow_bench}
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres}
URL="http://127.0.0.1:$PORT/api/metrics"
WORK=target/bench
APP_PID=

cleanup() {
  if [ -n "$APP_PID" ]; then kill "$APP_PID" 2>/dev/null || true; wait "$APP_PID" 2>/dev/null || true; fi
  if [ "${KEEP:-0}" != 1 ]; then
    dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    rabbitmqctl -q delete_vhost "$VHOST" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

mkdir -p "$WORK"
ls target/eventflow-*.jar >/dev/null 2>&1 || ./mvnw -q -DskipTests package

echo "== database $DB and vhost $VHOST (fresh)"
dropdb --if-exists "$DB"
createdb "$DB"
rabbitmqctl -q delete_vhost "$VHOST" >/dev/null 2>&1 || true
rabbitmqctl -q add_vhost "$VHOST"
rabbitmqctl -q set_permissions -p "$VHOST" guest '.*' '.*' '.*'

echo "== starting Eventflow on :$PORT (log: $WORK/app.log)"
java -jar "$(ls target/eventflow-*.jar | head -1)" --server.port="$PORT" --eventflow.embedded=false \
  --spring.datasource.url="jdbc:postgresql://127.0.0.1:5432/$DB" --spring.rabbitmq.virtual-host="$VHOST" \
  --eventflow.data-dir="$WORK/data" --eventflow.cipher.key="$(head -c 32 /dev/urandom | base64)" >"$WORK/app.log" 2>&1 &
APP_PID=$!
for _ in $(seq 120); do
  curl -sf -o /dev/null "$URL" && break
  kill -0 "$APP_PID" 2>/dev/null || { echo "Eventflow did not start; see $WORK/app.log"; exit 1; }
  sleep 1
done
curl -sf -o /dev/null "$URL"

echo "== loading $ROWS rows into each of topic1, topic2, topic3"
psql -q -v ON_ERROR_STOP=1 -d "$DB" -v rows="$ROWS" -v spread="$SPREAD_HOURS" <<'SQL'
\timing on
CREATE TEMP TABLE generated AS
SELECT now() - (i * interval '1 hour' * :spread / :rows) AS processed_date, (random() * 250)::bigint AS total_time_ms
FROM generate_series(1, :rows) AS i;
INSERT INTO topic1 (event_id, event_type, batch_id, create_date, processed_date, total_time_ms, event_data)
SELECT gen_random_uuid(), 'passiveEvent', gen_random_uuid(), processed_date - total_time_ms * interval '1 ms',
       processed_date, total_time_ms, '{"eventType":"passiveEvent"}' FROM generated;
INSERT INTO topic2 (event_id, event_type, batch_id, create_date, processed_date, total_time_ms, event_data)
SELECT gen_random_uuid(), 'activeEvent', gen_random_uuid(), processed_date - total_time_ms * interval '1 ms',
       processed_date, total_time_ms, '{"eventType":"activeEvent"}' FROM generated;
INSERT INTO topic3 (event_id, event_type, batch_id, create_date, processed_date, total_time_ms, event_data, secret_word)
SELECT gen_random_uuid(), 'activeEvent', gen_random_uuid(), processed_date - total_time_ms * interval '1 ms',
       processed_date, total_time_ms, '{"eventType":"activeEvent"}', 'bench' FROM generated;
VACUUM ANALYZE topic1, topic2, topic3;
SQL

echo "== what count(*) would cost (for comparison)"
psql -q -d "$DB" -c '\timing on' -c 'SELECT count(*) FROM topic1' | grep -E '^Time'

echo "== GET /api/metrics: $WARMUP warm-up calls, then $CALLS measured"
urls() { for _ in $(seq "$1"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$URL"; done; }
urls "$WARMUP" >"$WORK/warmup.curl"
urls "$CALLS" >"$WORK/calls.curl"
curl -s -K "$WORK/warmup.curl" -w '%{http_code}\n' | sort | uniq -c | grep -v ' 200$' && { echo "warm-up had errors"; exit 1; } || true
curl -s -K "$WORK/calls.curl" -w '%{http_code} %{time_total}\n' >"$WORK/times.txt"
curl -s "$URL" >"$WORK/metrics.json"
for t in topic1 topic2 topic3; do
  echo "$t $(psql -At -d "$DB" -c "SELECT count(*) FROM $t") $(psql -At -d "$DB" -c "SELECT count(*) FROM $t WHERE processed_date > now() - interval '5 minutes'")"
done >"$WORK/rows.txt"

python3 - "$WORK/times.txt" "$WORK/metrics.json" "$WORK/rows.txt" "$ROWS" <<'PY'
import json, sys
times, metrics, rows, loaded = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3], int(sys.argv[4])
samples = [line.split() for line in open(times)]
errors = sum(1 for code, _ in samples if code != "200")
ms = sorted(float(t) * 1000 for _, t in samples)
pct = lambda p: ms[min(len(ms) - 1, int(round(p / 100 * len(ms) + 0.5)) - 1)]
print(f"\nGET /api/metrics over {len(ms)} calls ({errors} non-200), {loaded:,} rows loaded per table")
print(f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'mean ms':>8}")
print(f"{pct(50):8.2f} {pct(95):8.2f} {pct(99):8.2f} {ms[-1]:8.2f} {sum(ms) / len(ms):8.2f}")
print(f"\n{'topic':<8} {'count(*)':>10} {'api count':>10} {'equal':>6} {'rows in 5m window':>18}")
ok = errors == 0 and pct(99) < 50
for line in open(rows):
    topic, count, window = line.split()
    api = metrics["topics"][topic]["count"]
    ok &= api == int(count)
    print(f"{topic:<8} {int(count):>10,} {api:>10,} {str(api == int(count)):>6} {int(window):>18,}")
print("\nPASS: p99 < 50 ms and counts exact" if ok else "\nFAIL: p99 >= 50 ms, an error, or a count differs")
sys.exit(0 if ok else 1)
PY
