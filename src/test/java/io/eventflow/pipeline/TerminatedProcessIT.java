package io.eventflow.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.support.EventflowProcess;
import io.eventflow.support.OwnDatabase;
import io.eventflow.support.OwnVhost;
import io.eventflow.support.Traffic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.FileSystemUtils;

import static io.eventflow.support.EventflowProcess.EMBEDDED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged jar stopped with SIGTERM (what an orchestrator sends) under steady traffic with a backlog on its queues:
 * it exits by itself, what it had in flight is stored or goes back to its queue, and a second process on the same broker
 * and database stores the rest: every accepted event exactly once, nothing dead-lettered. Embedded mode: the second
 * process starts on the first one's data dir; external mode: a vhost and a database of the test's own.
 */
class TerminatedProcessIT {

    private static final String NAME = "eventflow_terminated_it";
    private static final Path DATA_DIR = Path.of("target", "terminated-process-it");
    private static final Path LOG_FILE = Path.of("target", "terminated-process-it.log");
    private static final Duration PATIENCE = Duration.ofSeconds(180);

    /** Rows accepted but not stored yet when SIGTERM comes, at least. */
    private static final long BACKLOG = 1000;

    private final int postgresPort = EventflowProcess.freePort();
    private final List<AutoCloseable> owned = new ArrayList<>();
    private OwnDatabase database;
    private OwnVhost vhost;

    @AfterEach
    void stop() throws Exception {
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).close();
        }
    }

    @Test
    void terminatedDuringAFlowLosesNothingAndASecondProcessStoresTheBacklog() throws Exception {
        FileSystemUtils.deleteRecursively(DATA_DIR);
        Files.deleteIfExists(LOG_FILE); // the processes append to it: read only this run's lines
        if (!EMBEDDED) {
            database = own(OwnDatabase.create(NAME));
            vhost = own(OwnVhost.create(NAME));
        }
        // Slow consumers, so the traffic builds a backlog on the queues and every consumer holds deliveries unacknowledged.
        EventflowProcess first = own(start(List.of("--eventflow.consumers.concurrency=1", "--eventflow.consumers.prefetch=100",
                "--eventflow.consumers.batch-size=10", "--eventflow.consumers.store-threads=1")));
        Traffic traffic = new Traffic(List.of(first), 100, Duration.ofMillis(10));
        try (traffic) {
            await().atMost(PATIENCE).until(() -> traffic.acceptedEvents() >= 4000 && count("topic3") > 0
                    && backlog(traffic) >= BACKLOG);
            long stored = count("topic1") + count("topic2") + count("topic3");

            // Red if the process hangs in its shutdown (a consumer or a store retry that never ends).
            Duration stopping = first.terminate(Duration.ofSeconds(90));
            System.out.println("TerminatedProcessIT: exited " + stopping.toMillis() + " ms after SIGTERM, "
                    + traffic.acceptedEvents() + " events accepted, " + stored + " rows stored before it");
        }
        // Red when the shutdown had to be forced (e.g. camel.main.shutdown-timeout=1): in-flight batches were cut off.
        assertThat(first.log()).as("in-flight exchanges finished within Camel's shutdown timeout")
                .doesNotContain("Timeout occurred during graceful shutdown");

        EventflowProcess second = own(start(List.of()));
        try (Connection connection = connect()) {
            // Red if a delivery was acknowledged before its batch committed: SIGTERM drops what the consumer held.
            await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).until(() -> traffic.everyAcceptedEventStored(connection));
            traffic.assertEveryAcceptedEventStoredOnce(connection);
        }
        JsonNode deadLetters = new ObjectMapper().readTree(second.get("/api/deadletters").body());
        for (String dlq : List.of("topic1.dlq", "topic2.dlq", "topic3.dlq")) {
            assertThat(deadLetters.at("/queues/" + dlq + "/messages").asInt(-1)).as(dlq).isZero();
        }
    }

    private EventflowProcess start(List<String> extraArgs) throws Exception {
        List<String> args = new ArrayList<>();
        if (EMBEDDED) {
            args.addAll(List.of("--eventflow.data-dir=" + DATA_DIR, "--eventflow.embedded-postgres-port=" + postgresPort));
            args.addAll(extraArgs);
            return EventflowProcess.start(Path.of(".").toAbsolutePath(), LOG_FILE, args).awaitReady();
        }
        args.addAll(List.of("--eventflow.embedded=false", "--spring.rabbitmq.virtual-host=" + vhost.name(),
                "--spring.datasource.url=" + database.url(), "--eventflow.cipher.key=" + EventflowProcess.TEST_CIPHER_KEY));
        args.addAll(extraArgs);
        return EventflowProcess.launch("terminated-process-it", args).awaitReady();
    }

    private long backlog(Traffic traffic) throws SQLException {
        return traffic.acceptedPassiveEvents() + 2 * traffic.acceptedActiveEvents() - count("topic1") - count("topic2") - count("topic3");
    }

    private <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
    }

    private long count(String table) throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT count(*) FROM " + table)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private Connection connect() throws SQLException {
        if (!EMBEDDED) {
            return database.connect();
        }
        // The embedded PostgreSQL's password, kept in the data dir (empty before it had one).
        Path file = DATA_DIR.resolve("postgres.password");
        try {
            String password = Files.exists(file) ? Files.readString(file).trim() : "";
            return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + postgresPort + "/eventflow", "eventflow", password);
        } catch (java.io.IOException e) {
            throw new SQLException("cannot read " + file, e);
        }
    }
}
