package io.eventflow.pipeline;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;

import io.eventflow.support.EventflowProcess;
import io.eventflow.support.RestartedProcesses;
import io.eventflow.support.Traffic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged jar stopped with SIGTERM (what an orchestrator sends) under steady traffic with a backlog on its queues:
 * it exits by itself, what it had in flight is stored or goes back to its queue, and a second process on the same broker
 * and database stores the rest: every accepted event exactly once, nothing dead-lettered. Embedded mode: the second
 * process starts on the first one's data dir; external mode: a vhost and a database of the test's own.
 */
class TerminatedProcessIT {

    private static final Duration PATIENCE = Duration.ofSeconds(180);

    /** Rows accepted but not stored yet when SIGTERM comes, at least. */
    private static final long BACKLOG = 1000;

    private RestartedProcesses processes;

    @AfterEach
    void stop() throws Exception {
        processes.close();
    }

    @Test
    void terminatedDuringAFlowLosesNothingAndASecondProcessStoresTheBacklog() throws Exception {
        processes = RestartedProcesses.create("terminated-process-it");
        EventflowProcess first = processes.start(RestartedProcesses.SLOW_CONSUMERS);
        Traffic traffic = new Traffic(List.of(first), 100, Duration.ofMillis(10));
        try (traffic) {
            await().atMost(PATIENCE).until(() -> traffic.acceptedEvents() >= 4000 && processes.count("topic3") > 0
                    && processes.backlog(traffic) >= BACKLOG);
            long stored = processes.stored();

            // Red if the process hangs in its shutdown (a consumer or a store retry that never ends).
            Duration stopping = first.terminate(Duration.ofSeconds(90));
            System.out.println("TerminatedProcessIT: exited " + stopping.toMillis() + " ms after SIGTERM, "
                    + traffic.acceptedEvents() + " events accepted, " + stored + " rows stored before it");
        }
        // Red when the shutdown had to be forced (e.g. camel.main.shutdown-timeout=1): in-flight batches were cut off.
        assertThat(first.log()).as("in-flight exchanges finished within Camel's shutdown timeout")
                .doesNotContain("Timeout occurred during graceful shutdown");

        EventflowProcess second = processes.start(List.of());
        try (Connection connection = processes.connect()) {
            // Red if a delivery was acknowledged before its batch committed: SIGTERM drops what the consumer held.
            await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).until(() -> traffic.everyAcceptedEventStored(connection));
            traffic.assertEveryAcceptedEventStoredOnce(connection);
        }
        RestartedProcesses.assertNothingDeadLettered(second);
    }
}
