package io.eventflow.pipeline;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.FileSystemUtils;

import static io.eventflow.support.EventflowProcess.freePort;
import static io.eventflow.support.EventflowProcess.jar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged jar killed with SIGKILL while its queues hold a backlog, then started again: every accepted event
 * is stored, none twice. Runs in the mode of the build: embedded (queues and rows kept in the data dir across the
 * restart) or external (the machine's RabbitMQ and PostgreSQL).
 */
class KilledProcessIT {

    private static final int PASSIVE = 1000;
    private static final int ACTIVE = 2000;
    private static final boolean EMBEDDED = !"false".equals(System.getProperty("eventflow.embedded"));

    private final Path dataDir = Path.of("target", "killed-process-it");
    private final Path logFile = Path.of("target", "killed-process-it.log");
    private final HttpClient http = HttpClient.newHttpClient();
    private final int appPort = freePort();
    private final int postgresPort = freePort();
    private Process app;

    /** A graceful stop, so the embedded PostgreSQL of the last instance is stopped with it. */
    @AfterEach
    void stop() throws InterruptedException {
        if (app != null && app.isAlive()) {
            app.destroy();
            if (!app.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                app.destroyForcibly();
            }
        }
    }

    @Test
    void killedWithABacklogAndRestartedStoresEveryAcceptedEventOnce() throws Exception {
        FileSystemUtils.deleteRecursively(dataDir);
        app = start(List.of("--eventflow.consumers.concurrency=1", "--eventflow.consumers.prefetch=5"));
        if (!EMBEDDED) {
            sql("TRUNCATE topic1, topic2, topic3");
        }
        post("{\"eventType\":\"activeEvent\",\"count\":" + ACTIVE + "}");
        post("{\"eventType\":\"passiveEvent\",\"count\":" + PASSIVE + "}");
        await().atMost(Duration.ofSeconds(60)).until(() -> count("topic3") > 0);

        app.destroyForcibly().waitFor();
        long storedBeforeKill = count("topic1") + count("topic2") + count("topic3");
        assertThat(storedBeforeKill).as("a backlog was left when the process died").isLessThan(PASSIVE + 2L * ACTIVE);

        app = start(List.of());
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                .until(() -> count("topic1") == PASSIVE && count("topic2") == ACTIVE && count("topic3") == ACTIVE);
        assertThat(sqlLong("SELECT count(DISTINCT event_id) FROM topic3")).isEqualTo(ACTIVE);
    }

    private Process start(List<String> extraArgs) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-jar", jar().toString(),
                "--server.port=" + appPort,
                "--management.server.port=0",
                "--eventflow.data-dir=" + dataDir,
                "--eventflow.embedded=" + EMBEDDED,
                "--eventflow.embedded-postgres-port=" + postgresPort,
                "--spring.datasource.url=jdbc:postgresql://127.0.0.1:5432/eventflow_test"));
        command.addAll(extraArgs);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            assertThat(process.isAlive()).as("Eventflow exited; see " + logFile).isTrue();
            return ready();
        });
        return process;
    }

    private boolean ready() {
        try {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + appPort + "/api/events"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).header("Content-Type", "application/json").build(),
                    HttpResponse.BodyHandlers.ofString());
            return answer.statusCode() == 400;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void post(String body) throws IOException, InterruptedException {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + appPort + "/api/events"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
    }

    private long count(String table) throws SQLException {
        return sqlLong("SELECT count(*) FROM " + table);
    }

    private long sqlLong(String query) throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(query)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private void sql(String statement) throws SQLException {
        try (Connection connection = connect(); Statement s = connection.createStatement()) {
            s.execute(statement);
        }
    }

    private Connection connect() throws SQLException {
        return EMBEDDED
                ? DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + postgresPort + "/eventflow", "eventflow", "")
                : DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/eventflow_test", "postgres", "");
    }
}
