# Eventflow on your own RabbitMQ and PostgreSQL (see docker-compose.yml). Build: docker build -t eventflow .
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
COPY src src
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -ntp -q -DskipTests package

FROM eclipse-temurin:17-jre
RUN useradd --system --home-dir /app eventflow
WORKDIR /app
COPY --from=build /src/target/eventflow-*.jar eventflow.jar
# Routes and migrations are read from the working directory, so they can be mounted and edited.
COPY routes routes
COPY db db
COPY dashboard-static dashboard-static
RUN mkdir data && chown eventflow data
USER eventflow
# In a container the broker and database are services of their own, not embedded.
ENV EVENTFLOW_EMBEDDED=false
EXPOSE 8080
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/eventflow.jar"]
