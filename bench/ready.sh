#!/usr/bin/env bash
# Start to readiness UP for each way of running the jar, alternated (A, B, C, A, B, C, ...) so machine load hits all
# alike: wall time, and the JVM's own CPU time (utime + stime from /proc) by then. External mode, on a database and
# vhost of its own (dropped at the end). Build the archives first: bench/cds.sh.
# Usage: bench/ready.sh [ROUNDS]   VARIANTS="none cds17 aot25" (any subset); JAVA25 as in bench/cds.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
VARIANTS=${VARIANTS:-none cds17 aot25}
APP_JAVA_OPTS=${APP_JAVA_OPTS:--Xmx144m -XX:+UseSerialGC -XX:MaxDirectMemorySize=64m}
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
JAVA25=${JAVA25:-$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -1)/bin/java}
JAR=$(ls target/eventflow-*.jar | head -1)
NAME=eventflow_bench_ready_$$
hz=$(getconf CLK_TCK)
pid=
cleanup() {
  [ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
  dropdb --if-exists -h 127.0.0.1 -U postgres "$NAME" >/dev/null 2>&1 || true
  rabbitmqctl -q delete_vhost "$NAME" >/dev/null 2>&1 || true
}
trap cleanup EXIT
createdb -h 127.0.0.1 -U postgres "$NAME"
rabbitmqctl -q add_vhost "$NAME" && rabbitmqctl -q set_permissions -p "$NAME" guest '.*' '.*' '.*'
ARGS=(--eventflow.embedded=false --spring.rabbitmq.host=127.0.0.1 --spring.rabbitmq.virtual-host="$NAME"
  --spring.datasource.url="jdbc:postgresql://127.0.0.1:5432/$NAME" --spring.datasource.username=postgres
  --eventflow.cipher.key="$(head -c 32 /dev/urandom | base64)")
# A variant's folder and command: an archive holds the class path it was trained on, so it runs from its own folder
# with the same relative "-jar eventflow.jar" (from elsewhere the JVM ignores the archive without a word).
dir_of() { case $1 in none) echo . ;; cds17) echo target/cds ;; aot25) echo target/aot25 ;; esac; }
cmd() {
  case $1 in
    none) echo "java $APP_JAVA_OPTS -jar $JAR" ;;
    cds17) [ -f target/cds/app.jsa ] || { echo "run bench/cds.sh 17 first" >&2; exit 1; }
           echo "java $APP_JAVA_OPTS -XX:SharedArchiveFile=app.jsa -jar eventflow.jar" ;;
    aot25) [ -f target/aot25/app.aot ] || { echo "run bench/cds.sh 25 first" >&2; exit 1; }
           echo "$JAVA25 $APP_JAVA_OPTS -XX:AOTCache=app.aot -jar eventflow.jar" ;;
    *) echo "unknown variant $1" >&2; exit 1 ;;
  esac
}
free_port() { local p; while p=$((20000 + RANDOM % 20000)); ss -Hltn "sport = :$p" | grep -q .; do :; done; echo "$p"; }
declare -A wall cpu
for r in $(seq "$rounds"); do
  for v in $VARIANTS; do
    port=$(free_port) mport=$(free_port)
    t0=$(date +%s%3N)
    c=$(cmd "$v") log=$PWD/target/ready-$v.log
    (cd "$(dir_of "$v")" && exec $c --server.port="$port" --management.server.port="$mport" "${ARGS[@]}") >"$log" 2>&1 &
    pid=$!
    until curl -sf -o /dev/null "http://127.0.0.1:$mport/actuator/health/readiness"; do
      kill -0 "$pid" 2>/dev/null || { echo "$v exited; see target/ready-$v.log" >&2; exit 1; }
      sleep 0.05
    done
    t1=$(date +%s%3N)
    c=$(awk -v hz="$hz" '{sub(/^.*\) /, ""); printf "%d", ($12 + $13) * 1000 / hz}' "/proc/$pid/stat")
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
    wall[$v]+="$((t1 - t0)) " cpu[$v]+="$c "
    echo "round $r $v: ready in $((t1 - t0)) ms wall, $c ms CPU" >&2
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
base=$(median <<<"${wall[${VARIANTS%% *}]}") basec=$(median <<<"${cpu[${VARIANTS%% *}]}")
echo "| start → readiness UP ($rounds rounds alternated, $(nproc) cores, load avg $(cut -d' ' -f1 /proc/loadavg)) | wall ms median | CPU ms median | wall, CPU vs ${VARIANTS%% *} | runs wall / CPU |"
echo "|---|---|---|---|---|"
for v in $VARIANTS; do
  w=$(median <<<"${wall[$v]}") c=$(median <<<"${cpu[$v]}")
  echo "| $v | $w | $c | $(awk -v a="$w" -v b="$base" -v c="$c" -v d="$basec" 'BEGIN {printf "%.2f×, %.2f×", a / b, c / d}') | ${wall[$v]}/ ${cpu[$v]}|"
done
