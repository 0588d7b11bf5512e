#!/usr/bin/env bash
# Builds the start-up archives for the jar, each the jar extracted (java -Djarmode=tools extract) plus an archive:
# 17 (target/cds/): JDK 17 Class Data Sharing, written by a training run that exits once the context refreshed
#   (spring.context.exit=onRefresh, before routes or consumers start). It needs no broker and no database: external mode
#   pointed at closed ports, Flyway off, a throw-away cipher key; it connects to nothing and leaves no data behind. Run it
#   from its folder with the same relative -jar eventflow.jar: the archive holds the class path it was trained on and a
#   JVM started from elsewhere ignores it without a word.
# 25 and 25load (target/aot25/, target/aot25load/): JDK 25's AOT cache (JEP 483/514/515) from scripts/aot-training, the
#   image's training: to the context's refresh (TRAIN_AT=refresh, the same closed-port run as 17), or under load, so it
#   also holds the method profiles of the request and store paths (Eventflow in zero-install mode on a throw-away data
#   dir takes TRAIN_SECONDS (60) of 64 one-event clients from bench/Load.java, then stops).
# Usage: bench/cds.sh [17] [25] [25load]   (default 17 and 25; JAVA25 picks the JDK 25, default /usr/lib/jvm/temurin-25*)
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=$(ls target/eventflow-*.jar 2>/dev/null | head -1 || true)
[ -n "$JAR" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 1; }
JAVA25=${JAVA25:-$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -1)/bin/java}
TRAIN_ARGS=(-Dspring.context.exit=onRefresh -jar eventflow.jar --eventflow.embedded=false --spring.flyway.enabled=false
  --spring.datasource.url=jdbc:postgresql://127.0.0.1:1/training --spring.rabbitmq.port=1 --eventflow.broker.flavor=rabbitmq
  --eventflow.cipher.key="$(head -c 32 /dev/urandom | base64)" --server.port=0 --management.server.port=0)

extract() { # $1 = java, $2 = folder
  rm -rf "$2"; mkdir -p "$2"
  "$1" -Djarmode=tools -jar "$JAR" extract --destination "$2/x" >/dev/null
  mv "$2/x/$(basename "$JAR")" "$2/eventflow.jar"; mv "$2/x/lib" "$2/lib"; rmdir "$2/x"
}
free_port() { local p; while p=$((20000 + RANDOM % 20000)); ss -Hltn "sport = :$p" | grep -q .; do :; done; echo "$p"; }
for v in "${@:-17 25}"; do
  for v in $v; do
    case $v in
      17) extract java target/cds
          (cd target/cds && java -XX:ArchiveClassesAtExit=app.jsa -Xlog:cds=off -Xlog:cds+dynamic=off "${TRAIN_ARGS[@]}" >training.log 2>&1)
          echo "target/cds: cd target/cds && java -XX:SharedArchiveFile=app.jsa -jar eventflow.jar ($(du -m target/cds/app.jsa | cut -f1) MB)" ;;
      25) [ -x "$JAVA25" ] || { echo "no JDK 25 at $JAVA25" >&2; exit 1; }
          extract "$JAVA25" target/aot25
          JAVA=$JAVA25 TRAIN_AT=refresh scripts/aot-training target/aot25 bench/Load.java
          echo "target/aot25: cd target/aot25 && $JAVA25 -XX:AOTCache=app.aot -jar eventflow.jar ($(du -m target/aot25/app.aot | cut -f1) MB)" ;;
      25load) [ -x "$JAVA25" ] || { echo "no JDK 25 at $JAVA25" >&2; exit 1; }
          extract "$JAVA25" target/aot25load
          JAVA=$JAVA25 TRAIN_PORT=$(free_port) TRAIN_MANAGEMENT_PORT=$(free_port) scripts/aot-training target/aot25load bench/Load.java
          echo "target/aot25load: cd target/aot25load && $JAVA25 -XX:AOTCache=app.aot -jar eventflow.jar ($(du -m target/aot25load/app.aot | cut -f1) MB)" ;;
      *) echo "unknown variant $v (17, 25 or 25load)" >&2; exit 1 ;;
    esac
  done
done
