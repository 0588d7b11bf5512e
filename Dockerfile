# Eventflow on your own RabbitMQ and PostgreSQL (see docker-compose.yml). Build: docker build -t eventflow .
FROM eclipse-temurin:17-jdk AS build
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

# A JDK, not a JRE: the Java DSL route files in routes/ are compiled when they load.
FROM eclipse-temurin:17-jdk
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
# Class Data Sharing (docs/operations.md): a training run that exits once the context refreshed, before routes and
# consumers start, writes the classes it loaded to app.jsa; each start maps them instead of loading them from the jars
# (docs/benchmarks.md measures it). The training connects to nothing (closed ports, no migrations, a throw-away key):
# it needs no broker or database and leaves nothing behind but the archive. Same JVM, options and -jar path as the
# ENTRYPOINT; an archive that no longer matches is ignored, never an error.
USER root
RUN java -XX:ArchiveClassesAtExit=/app/app.jsa -Dspring.context.exit=onRefresh -jar /app/eventflow.jar \
      --server.address=127.0.0.1 --server.port=0 --management.server.port=0 --spring.flyway.enabled=false \
      --spring.datasource.url=jdbc:postgresql://127.0.0.1:1/training --spring.rabbitmq.port=1 \
      --eventflow.broker.flavor=rabbitmq --eventflow.cipher.key="$(head -c 32 /dev/urandom | base64)" >/tmp/cds-training.log 2>&1 \
    || { tail -40 /tmp/cds-training.log; exit 1; }; \
    chmod 444 /app/app.jsa && rm -rf /app/data/* /tmp/*
USER eventflow
EXPOSE 8080
ENTRYPOINT ["java", "-XX:SharedArchiveFile=/app/app.jsa", "-jar", "/app/eventflow.jar"]
