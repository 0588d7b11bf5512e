package io.eventflow.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.support.EventflowProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged jar started from folders other than the repository: alone (the routes, migrations and dashboard
 * it carries), with a routes folder that is a symbolic link, with route files that are symbolic links (a Kubernetes
 * ConfigMap mount), and with folders that hold nothing, which it must refuse, quickly and saying which folder.
 */
class PackagedJarIT {

    private static final Path REPO_ROUTES = Path.of("routes").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path workDir;

    @Test
    void jarAloneInAnEmptyFolderRunsTheWholePipeline() throws Exception {
        try (EventflowProcess app = start().awaitReady()) {
            assertThat(app.post("/api/events", "{\"eventType\":\"activeEvent\",\"count\":3}").statusCode()).isEqualTo(202);

            await().atMost(Duration.ofSeconds(60)).until(() -> storedIn(app, "topic3") == 3);
            assertThat(app.get("/").body()).contains("<html");
            awaitLogLine(app, "routes packaged in the jar (classpath:routes/*.camel.yaml)");
            // The migrations were found in the jar (a fresh database migrates them, an existing one validates them).
            assertThat(app.log()).containsPattern("Successfully validated [1-9][0-9]* migrations");
        }
    }

    @Test
    void routesFolderThatIsASymbolicLinkRunsItsRoutes() throws Exception {
        Path set = copyOfTheRepositoryRoutes(workDir.resolve("route-sets/current"));
        Files.createSymbolicLink(workDir.resolve("routes"), set);

        try (EventflowProcess app = start().awaitReady()) {
            assertThat(app.post("/api/events", "{\"eventType\":\"passiveEvent\"}").statusCode()).isEqualTo(202);
            awaitLogLine(app, "routes from file:" + set.toRealPath() + "/*.camel.yaml");
            // The jar cannot compile the Java DSL route it found: it runs the YAML ones and says why.
            awaitLogLine(app, "The Java DSL route files (*.java) in " + set.toRealPath() + " are not loaded");
        }
    }

    @Test
    void extractedJarRunsTheJavaRouteAndReloadsItsEditsAndStopsEveryRouteAtShutdown() throws Exception {
        Path routes = copyOfTheRepositoryRoutes(workDir.resolve("routes"));
        EventflowProcess app = EventflowProcess.startExtracted(workDir, workDir.resolve("eventflow.log"),
                List.of("--eventflow.routes-reload=true"));
        try (app) {
            app.awaitReady();
            awaitLogLine(app, "routes from file:" + routes.toRealPath() + "/*.camel.yaml,file:" + routes.toRealPath() + "/*.java");
            assertThat(app.management("/actuator/prometheus").body()).contains("eventflow_dead_letters{");

            Path javaRoute = routes.resolve("DeadLetterWatch.java");
            Files.writeString(javaRoute, Files.readString(javaRoute).replace("period=15000", "period=10000"));
            awaitLogLine(app, "/DeadLetterWatch.java reloaded: [dead-letter-watch");
            Files.writeString(routes.resolve("ingest.camel.yaml"), Files.readString(routes.resolve("ingest.camel.yaml")) + "# edited\n");
            awaitLogLine(app, "/ingest.camel.yaml reloaded");
            assertThat(app.post("/api/events", "{\"eventType\":\"passiveEvent\"}").statusCode()).isEqualTo(202);
            assertThat(app.log()).doesNotContain("not reloaded").doesNotContain("are not loaded");

            app.terminate(Duration.ofSeconds(60));
            // Camel names a stopped count only when it differs from the total: "Routes stopped (total:24 stopped:22 ...)".
            Matcher summary = Pattern.compile("Routes stopped \\(total:(\\d+)([^)]*)\\)").matcher(app.log());
            assertThat(summary.find()).as("Camel's shutdown summary").isTrue();
            Matcher stopped = Pattern.compile("stopped:(\\d+)").matcher(summary.group(2));
            assertThat(stopped.find() ? stopped.group(1) : summary.group(1)).as("routes stopped, in " + summary.group()).isEqualTo(summary.group(1));
        }
    }

    @Test
    void jarRunDirectlySaysOnceItCannotRunJavaRoutesAndNeverReportsThemBroken() throws Exception {
        Path routes = copyOfTheRepositoryRoutes(workDir.resolve("routes"));

        EventflowProcess app = EventflowProcess.start(workDir, workDir.resolve("eventflow.log"), List.of("--eventflow.routes-reload=true"));
        try (app) {
            app.awaitReady();
            awaitLogLine(app, "Route reload on");
            Path javaRoute = routes.resolve("DeadLetterWatch.java");
            Files.writeString(javaRoute, Files.readString(javaRoute) + "// edited\n");
            Files.writeString(routes.resolve("ingest.camel.yaml"), Files.readString(routes.resolve("ingest.camel.yaml")) + "# edited\n");
            awaitLogLine(app, "/ingest.camel.yaml reloaded");

            String log = app.log();
            assertThat(log.lines().filter(line -> line.contains("DeadLetterWatch")).toList()).as("lines about the Java route").isEmpty();
            String notLoaded = "The Java DSL route files (*.java) in " + routes.toRealPath()
                    + " are not loaded: Camel's compiler cannot read the classes nested in the packaged jar";
            assertThat(log.lines().filter(line -> line.contains(notLoaded)).count()).isEqualTo(1);
        }
    }

    @Test
    void routeFilesThatAreSymbolicLinksInARealFolderRun() throws Exception {
        // A ConfigMap volume: the files live in ..data (itself a link to a timestamped folder), each name links into it.
        Path routes = workDir.resolve("routes");
        copyOfTheRepositoryRoutes(routes.resolve("..2026_11_29"));
        Files.createSymbolicLink(routes.resolve("..data"), Path.of("..2026_11_29"));
        try (var files = Files.list(REPO_ROUTES)) {
            for (Path file : files.toList()) {
                Files.createSymbolicLink(routes.resolve(file.getFileName()), Path.of("..data").resolve(file.getFileName()));
            }
        }

        try (EventflowProcess app = start().awaitReady()) {
            assertThat(app.post("/api/events", "{\"eventType\":\"passiveEvent\"}").statusCode()).isEqualTo(202);
            awaitLogLine(app, "routes from file:" + routes.toRealPath() + "/*.camel.yaml");
        }
    }

    @Test
    void emptyRoutesFolderRefusesToStartAtOnceNamingIt() throws Exception {
        Files.createDirectories(workDir.resolve("routes"));

        assertRefusal(start(), "no route was found in file:" + workDir.resolve("routes").toRealPath());
    }

    @Test
    void routesFolderWithoutThePipelinesRoutesRefusesToStart() throws Exception {
        Path routes = copyOfTheRepositoryRoutes(workDir.resolve("routes"));
        Files.delete(routes.resolve("service2.camel.yaml"));

        assertRefusal(start(), "the pipeline's routes [service2-topic3] were not found");
    }

    @Test
    void migrationsFolderWithoutMigrationsRefusesToStartNamingIt() throws Exception {
        Files.createDirectories(workDir.resolve("db"));

        assertRefusal(start(), "no database migration (V<n>__<name>.sql) was found in filesystem:"
                + workDir.resolve("db").toRealPath());
    }

    /**
     * Exits by itself, non-zero, within seconds (a start that failed once lingered a minute holding its ports), with
     * Spring Boot's failure report saying why and no stack trace.
     */
    private static void assertRefusal(EventflowProcess app, String why) throws Exception {
        try (app) {
            await().atMost(Duration.ofSeconds(120)).until(() -> app.log().contains("APPLICATION FAILED TO START"));
            assertThat(app.awaitExit(Duration.ofSeconds(15))).isNotZero();
            String log = app.log();
            assertThat(log).contains("APPLICATION FAILED TO START").contains("Eventflow refuses to start: " + why)
                    .doesNotContain("Application run failed");
            assertThat(log.lines().filter(line -> line.contains(" ERROR ")).count()).isEqualTo(1);
        }
    }

    /** The routes are checked and named just after the API opens: wait for that line, don't race it. */
    private static void awaitLogLine(EventflowProcess app, String text) {
        await().atMost(Duration.ofSeconds(30)).until(() -> app.log().contains(text));
    }

    private EventflowProcess start() throws IOException {
        return EventflowProcess.start(workDir, workDir.resolve("eventflow.log"), List.of());
    }

    private static Path copyOfTheRepositoryRoutes(Path folder) throws IOException {
        Files.createDirectories(folder);
        try (var files = Files.list(REPO_ROUTES)) {
            for (Path file : files.toList()) {
                Files.copy(file, folder.resolve(file.getFileName()));
            }
        }
        return folder;
    }

    @SuppressWarnings("unchecked")
    private static long storedIn(EventflowProcess app, String topic) throws Exception {
        Map<String, Object> metrics = JSON.readValue(app.get("/api/metrics").body(), Map.class);
        Map<String, Map<String, Number>> topics = (Map<String, Map<String, Number>>) metrics.get("topics");
        return topics.get(topic).get("count").longValue();
    }
}
