package io.eventflow.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.support.EventflowProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.FileSystemUtils;

import static io.eventflow.support.EventflowProcess.EMBEDDED;
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

    private final Path workDir = Path.of(".").toAbsolutePath();
    private final Path dataDir = Path.of("target", "killed-process-it");
    private final Path logFile = Path.of("target", "killed-process-it.log");
    private final int postgresPort = EventflowProcess.freePort();
    private EventflowProcess app;

    @AfterEach
    void stop() throws InterruptedException {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void killedWithABacklogAndRestartedStoresEveryAcceptedEventOnce() throws Exception {
        FileSystemUtils.deleteRecursively(dataDir);
        app = start(List.of("--eventflow.consumers.concurrency=1", "--eventflow.consumers.prefetch=5"));
        if (!EMBEDDED) {
            sql("TRUNCATE topic1, topic2, topic3");
        }
        long acceptedActive = accepted("{\"eventType\":\"activeEvent\",\"count\":" + ACTIVE + "}");
        long acceptedPassive = accepted("{\"eventType\":\"passiveEvent\",\"count\":" + PASSIVE + "}");
        await().atMost(Duration.ofSeconds(60)).until(() -> count("topic3") > 0);

        app.kill();
        long storedBeforeKill = count("topic1") + count("topic2") + count("topic3");
        assertThat(storedBeforeKill).as("a backlog was left when the process died").isLessThan(acceptedPassive + 2 * acceptedActive);

        app = start(List.of());
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                .until(() -> count("topic1") >= acceptedPassive && count("topic2") >= acceptedActive
                        && count("topic3") >= acceptedActive);
        // Exactly the events the API accepted: none lost, and none stored that it did not count.
        assertThat(count("topic1")).isEqualTo(acceptedPassive);
        assertThat(count("topic2")).isEqualTo(acceptedActive);
        assertThat(count("topic3")).isEqualTo(acceptedActive);
    }

    private EventflowProcess start(List<String> extraArgs) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of(
                "--eventflow.data-dir=" + dataDir,
                "--eventflow.embedded-postgres-port=" + postgresPort));
        args.addAll(extraArgs);
        return EventflowProcess.start(workDir, logFile, args).awaitReady();
    }

    /** Posts one request and gives the number of events the API says it accepted. */
    private long accepted(String body) throws Exception {
        var answer = app.post("/api/events", body);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        return ((Number) new ObjectMapper().readValue(answer.body(), Map.class).get("accepted")).longValue();
    }

    private long count(String table) throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT count(*) FROM " + table)) {
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
                ? DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + postgresPort + "/eventflow", "eventflow",
                        embeddedPostgresPassword())
                : DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/eventflow_test", "postgres", "");
    }

    /** The embedded PostgreSQL's password, kept in the data dir (empty before it had one). */
    private String embeddedPostgresPassword() {
        Path file = dataDir.resolve("postgres.password");
        try {
            return Files.exists(file) ? Files.readString(file).trim() : "";
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
