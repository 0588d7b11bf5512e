# Eventflow on your own RabbitMQ and PostgreSQL (see docker-compose.yml). Build: docker build -t eventflow .
FROM eclipse-temurin:25-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
COPY src src
# Packaged into the jar as its defaults (pom.xml <resources>).
COPY routes routes
COPY db db
COPY dashboard-static dashboard-static
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -ntp -q -DskipTests package
# Extracted: the application's jar and its lib/ as real files, which Camel's compiler reads to compile routes/*.java.
RUN cp target/eventflow-*.jar eventflow.jar && java -Djarmode=tools -jar eventflow.jar extract --destination extracted

# A JDK, not a JRE: the Java DSL route files in routes/ are compiled when they load. JDK 25 for its AOT cache (below);
# the jar is built for Java 17 and the whole suite runs on 17 and 25 (.ci/run).
FROM eclipse-temurin:25-jdk
RUN useradd --system --home-dir /app eventflow
WORKDIR /app
COPY --from=build /src/extracted/ ./
# Routes, migrations and dashboard come from the jar; a folder mounted at /app/routes, /app/db or
# /app/dashboard-static overrides them (docker-compose.yml mounts ./routes).
RUN mkdir data && chown eventflow data
USER eventflow
# In a container the broker and database are services of their own, not embedded.
ENV EVENTFLOW_EMBEDDED=false
# Reached from outside the container, so Eventflow refuses to start until API keys and logins (or a JWT issuer) are
# configured: files in /run/secrets/eventflow named after each setting (configtree), or environment variables.
ENV SERVER_ADDRESS=0.0.0.0
# The JVM sized to the container, with what the benchmark measured (docs/benchmarks.md): Serial GC and capped direct
# memory. In JAVA_TOOL_OPTIONS, not on the command line, so a deployment can replace them (command-line flags would win).
# Two malloc arenas instead of up to 8 per core: less native memory left fragmented (docs/benchmarks.md).
ENV MALLOC_ARENA_MAX=2
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=40 -XX:+UseSerialGC -XX:MaxDirectMemorySize=64m -XX:+ExitOnOutOfMemoryError"
# The AOT cache (JDK 25, JEP 483/515; docs/operations.md): a training run under load writes the classes it loaded and
# linked and the method profiles of the request and store paths to app.aot, so each start maps the classes instead of
# loading them and compiles the hot paths sooner (docs/benchmarks.md measures it). scripts/aot-training runs the jar in
# zero-install mode (its own embedded broker and PostgreSQL, for linux/amd64) on a throw-away data dir and loopback
# ports, sends it 60 s of one-event requests from bench/Load.java and stops it: it needs no service and leaves nothing
# behind but the cache. Same JVM, options (JAVA_TOOL_OPTIONS) and -jar path as the ENTRYPOINT; a cache that no longer
# matches (another GC, another class path) is ignored with a warning, never an error. .ci/image-training runs this step.
USER root
RUN --mount=type=bind,source=scripts/aot-training,target=/mnt/training/aot-training \
    --mount=type=bind,source=bench/Load.java,target=/mnt/training/Load.java \
    bash /mnt/training/aot-training /app /mnt/training/Load.java \
    && chmod 444 /app/app.aot && rm -rf /app/data/* /app/aot-training.log /tmp/*
USER eventflow
EXPOSE 8080
ENTRYPOINT ["java", "-XX:AOTCache=/app/app.aot", "-jar", "/app/eventflow.jar"]
