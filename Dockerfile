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

FROM eclipse-temurin:17-jre
RUN useradd --system --home-dir /app eventflow
WORKDIR /app
COPY --from=build /src/target/eventflow-*.jar eventflow.jar
# Routes, migrations and dashboard come from the jar; a folder mounted at /app/routes, /app/db or
# /app/dashboard-static overrides them (docker-compose.yml mounts ./routes).
RUN mkdir data && chown eventflow data
USER eventflow
# In a container the broker and database are services of their own, not embedded.
ENV EVENTFLOW_EMBEDDED=false
EXPOSE 8080
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/eventflow.jar"]
