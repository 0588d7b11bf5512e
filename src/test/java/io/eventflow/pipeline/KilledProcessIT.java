package io.eventflow.pipeline;

import java.io.IOException;
import java.net.http.HttpResponse;
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
 * The packaged jar killed with SIGKILL under steady traffic while thousands of accepted events wait on its queues or in
 * its consumers, then a new process started: the client retries each request that got no answer with its
 * Idempotency-Key, to whichever process listens, until a 202; every request is stored exactly once, nothing
 * dead-lettered. Embedded mode: the new process starts on the killed one's data dir (queues and rows kept); external
 * mode: a vhost and a database of the test's own on the machine's servers.
 */
class KilledProcessIT {

    private static final Duration PATIENCE = Duration.ofSeconds(180);
    /** Rows accepted but not stored yet when SIGKILL comes, at least. */
    private static final long BACKLOG = 1000;

    private RestartedProcesses processes;
    private volatile EventflowProcess current;

    @AfterEach
    void stop() throws Exception {
        processes.close();
    }

    @Test
    void killedUnderTrafficAndStartedAgainStoresEveryAcceptedEventOnce() throws Exception {
        processes = RestartedProcesses.create("killed-process-it");
        current = processes.start(RestartedProcesses.SLOW_CONSUMERS);
        Traffic traffic = Traffic.keyed(List.of(currentProcess()), 100, Duration.ofMillis(10));
        try (traffic) {
            await().atMost(PATIENCE).until(() -> traffic.acceptedEvents() >= 4000 && processes.count("topic3") > 0
                    && processes.backlog(traffic) >= BACKLOG);

            current.kill();
            long backlog = processes.backlog(traffic);
            System.out.println("KilledProcessIT: killed with " + traffic.acceptedEvents() + " events accepted, " + backlog
                    + " rows not stored");
            // Red if a delivery was acknowledged before its batch committed: SIGKILL drops what the consumers held.
            current = processes.start(List.of());
            long acceptedAtRestart = traffic.acceptedEvents();
            await().atMost(PATIENCE).until(() -> traffic.acceptedEvents() >= acceptedAtRestart + BACKLOG);
        }
        try (Connection connection = processes.connect()) {
            await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> traffic.assertTablesHoldExactlyTheAcceptedEvents(connection));
        }
        RestartedProcesses.assertNothingDeadLettered(current);
        assertThat(current.management("/actuator/health").statusCode()).as("health of the new process").isEqualTo(200);
    }

    /** The process of the moment: the one killed, then the one started after it; never down for the client's retries. */
    private Traffic.Target currentProcess() {
        return new Traffic.Target() {
            @Override
            public String name() {
                return "killed-process-it";
            }

            @Override
            public boolean isAlive() {
                return true;
            }

            @Override
            public HttpResponse<String> send(String json, String idempotencyKey) throws IOException, InterruptedException {
                return current.send(json, idempotencyKey);
            }
        };
    }
}
