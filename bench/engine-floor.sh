#!/usr/bin/env bash
# The floor of each HTTP engine under one-event load: bench/EngineFloor.java answers POST /api/events 202 and does
# nothing else; 64 keep-alive clients of bench/Load.java (as bench/run's clients row) post one event per request.
# Prints a markdown table: requests/s and the server's CPU per request (ms, its /proc CPU over the measured window),
# medians of ROUNDS rounds run alternated (tomcat, tomcat-async, vertx, vertx-worker, tomcat, ...).
# Usage: bench/engine-floor.sh [ROUNDS]   (WARM=30 s of warm-up, SECONDS_=20 s measured, ENGINES to pick)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3} WARM=${WARM:-30} MEASURE=${SECONDS_:-20}
ENGINES=${ENGINES:-tomcat tomcat-async vertx vertx-worker}
OPTS=${APP_JAVA_OPTS:--Xmx144m -XX:+UseSerialGC -XX:MaxDirectMemorySize=64m}
WORK=$(mktemp -d /tmp/enginefloor.XXXXXX)
PID=
trap '[ -z "$PID" ] || kill "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
./mvnw -q -f bench/enginefloor.pom.xml dependency:build-classpath -Dmdep.outputFile="$WORK/cp" >/dev/null
CP=$(cat "$WORK/cp")
javac -d "$WORK" -cp "$CP" bench/EngineFloor.java
javac -d "$WORK" bench/Load.java
free_port() { local p; while p=$((20000 + RANDOM % 20000)); ss -Hltn "sport = :$p" | grep -q .; do :; done; echo "$p"; }
ticks() { awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat"; }
declare -A RPS CPU
for r in $(seq "$ROUNDS"); do
  for e in $ENGINES; do
    port=$(free_port)
    java $OPTS -cp "$WORK:$CP" EngineFloor "$e" "$port" >"$WORK/$e.log" 2>&1 & PID=$!
    until grep -q listening "$WORK/$e.log"; do kill -0 "$PID" || { cat "$WORK/$e.log" >&2; exit 1; }; sleep 0.1; done
    url=http://127.0.0.1:$port/api/events
    java -cp "$WORK" Load "$url" clients=64 events=1 active-every=3 seconds="$WARM" >/dev/null
    before=$(ticks "$PID")
    out=$(java -cp "$WORK" Load "$url" clients=64 events=1 active-every=3 seconds="$MEASURE")
    after=$(ticks "$PID")
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
    declare -A L=(); for kv in $out; do L[${kv%%=*}]=${kv#*=}; done
    n=$((L[accepted_passive] + L[accepted_active]))
    [ "$n" -gt 0 ] || { echo "no request answered 202 by $e: $out" >&2; exit 1; }
    rps=$((n * 1000 / (L[end_ms] - L[start_ms])))
    cpu=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN {printf "%.4f", t * 1000 / hz / n}')
    RPS[$e]+="$rps " CPU[$e]+="$cpu "
    echo "round $r $e: $rps requests/s, $cpu ms of CPU per request" >&2
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo "**HTTP engine floor, $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M') UTC, $(git rev-parse --short HEAD), medians of $ROUNDS alternated rounds, $OPTS, $WARM s warm-up then $MEASURE s of 64 one-event clients**"
echo
echo "| engine | requests/s (runs) | server CPU per request, ms (runs) |"
echo "|---|---|---|"
for e in $ENGINES; do
  echo "| $e | $(median "${RPS[$e]}") (${RPS[$e]% }) | $(median "${CPU[$e]}") (${CPU[$e]% }) |"
done
