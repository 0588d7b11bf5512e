package io.eventflow.support;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.springframework.util.FileSystemUtils;

import static io.eventflow.support.EventflowProcess.EMBEDDED;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Eventflow processes started one after the other on the same broker and database, for the tests of a process that
 * stops or dies: embedded mode, each on the data dir (queues and rows) of the one before; external mode, a vhost and a
 * database of the test's own on the machine's servers. {@link #close()} stops every process, then drops what it made.
 */
public final class RestartedProcesses implements AutoCloseable, TestDatabase {

    /** Slow consumers, so steady traffic builds a backlog on the queues and every consumer holds deliveries unacknowledged. */
    public static final List<String> SLOW_CONSUMERS = List.of("--eventflow.consumers.concurrency=1",
            "--eventflow.consumers.prefetch=100", "--eventflow.consumers.batch-size=10", "--eventflow.consumers.store-threads=1");

    private final String name;
    private final Path dataDir;
    private final Path logFile;
    private final int postgresPort = EventflowProcess.freePort();
    private final List<EventflowProcess> started = new ArrayList<>();
    private OwnDatabase database;
    private OwnVhost vhost;

    private RestartedProcesses(String name) {
        this.name = name;
        this.dataDir = Path.of("target", name);
        this.logFile = Path.of("target", name + ".log");
    }

    /** {@code name}: of the data dir and log under target/, or of the vhost and database. */
    public static RestartedProcesses create(String name) throws IOException, SQLException {
        RestartedProcesses processes = new RestartedProcesses(name);
        FileSystemUtils.deleteRecursively(processes.dataDir);
        Files.deleteIfExists(processes.logFile); // the processes append to it: read only this run's lines
        if (!EMBEDDED) {
            processes.database = OwnDatabase.create(name.replace('-', '_'));
            processes.vhost = OwnVhost.create(name.replace('-', '_'));
        }
        return processes;
    }

    /** The next process, ready. */
    public EventflowProcess start(List<String> extraArgs) throws IOException {
        List<String> args = new ArrayList<>();
        EventflowProcess process;
        if (EMBEDDED) {
            args.addAll(List.of("--eventflow.data-dir=" + dataDir, "--eventflow.embedded-postgres-port=" + postgresPort));
            args.addAll(extraArgs);
            process = EventflowProcess.start(Path.of(".").toAbsolutePath(), logFile, args);
        } else {
            args.addAll(List.of("--eventflow.embedded=false", "--spring.rabbitmq.virtual-host=" + vhost.name(),
                    "--spring.datasource.url=" + database.url()));
            args.addAll(EventflowProcess.withTestCipherKeyUnlessGiven(extraArgs));
            process = EventflowProcess.launch(name, args);
        }
        started.add(process);
        return process.awaitReady();
    }

    /** Rows accepted by the traffic and not stored yet (each active event is two rows: topic2 and topic3). */
    public long backlog(Traffic traffic) throws SQLException {
        return traffic.acceptedPassiveEvents() + 2 * traffic.acceptedActiveEvents() - stored();
    }

    public long stored() throws SQLException {
        return count("topic1") + count("topic2") + count("topic3");
    }

    @Override
    public Connection connect() throws SQLException {
        if (!EMBEDDED) {
            return database.connect();
        }
        // The embedded PostgreSQL's password, kept in the data dir (empty before it had one).
        Path file = dataDir.resolve("postgres.password");
        try {
            String password = Files.exists(file) ? Files.readString(file).trim() : "";
            return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + postgresPort + "/eventflow", "eventflow", password);
        } catch (IOException e) {
            throw new SQLException("cannot read " + file, e);
        }
    }

    /** Every .dlq empty, as the process's dashboard API lists them. */
    public static void assertNothingDeadLettered(EventflowProcess process) throws IOException, InterruptedException {
        HttpResponse<String> answer = process.get("/api/deadletters");
        JsonNode deadLetters = new ObjectMapper().readTree(answer.body());
        for (String dlq : List.of("topic1.dlq", "topic2.dlq", "topic3.dlq")) {
            assertThat(deadLetters.at("/queues/" + dlq + "/messages").asInt(-1)).as(dlq + " in " + answer.body()).isZero();
        }
    }

    @Override
    public void close() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
        if (vhost != null) {
            vhost.close();
            database.close();
        }
    }
}
