package io.eventflow.pipeline;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.eventflow.support.EventflowProcess;
import io.eventflow.support.RestartedProcesses;
import io.eventflow.support.Traffic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.eventflow.support.EventflowProcess.EMBEDDED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The cipher key rotation of docs/security.md under steady traffic, each step rolled out by restarting the processes one
 * by one (SIGTERM, then a process with the step's settings): 1) add the new key everywhere, 2) seal with it, 3) once every
 * topic3 message sealed with the old key is stored, remove the old key. Every accepted event is stored once and nothing
 * is dead-lettered. External mode: two processes on a vhost and a database of the test's own, so during each roll-out a
 * process of the step before opens what one of the new step sealed and the reverse; embedded mode: one process, each
 * step started on the data dir (queues and rows) of the one before.
 */
class KeyRotationIT {

    private static final Duration PATIENCE = Duration.ofSeconds(180);
    /** Events accepted after each restart before the next: traffic keeps flowing through every step. */
    private static final long EVENTS_PER_STEP = 600;
    private static final String NEXT_KEY = EventflowProcess.randomCipherKey();

    private RestartedProcesses processes;
    private final List<Slot> slots = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        processes.close();
    }

    @Test
    void rotatingTheSealingKeyUnderTrafficDeadLettersNothingAndStoresEveryEventOnce() throws Exception {
        processes = RestartedProcesses.create("key-rotation-it");
        for (int i = 0; i < (EMBEDDED ? 1 : 2); i++) {
            slots.add(new Slot("key-rotation-it-" + i, processes.start(List.of())));
        }
        Traffic traffic = Traffic.keyed(slots, 10, Duration.ofMillis(50));
        Instant sealingSwitched;
        try (traffic) {
            awaitProgress(traffic);
            rollOut(traffic, List.of("--eventflow.cipher.keys.next=" + NEXT_KEY));
            rollOut(traffic, List.of("--eventflow.cipher.keys.next=" + NEXT_KEY, "--eventflow.cipher.sealing-key-id=next"));
            sealingSwitched = Instant.now();
            // Drained: every topic2 row stored before the last process sealed with the new key has its topic3 row.
            await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).until(() -> processes.count("topic2 t2 WHERE t2.processed_date < '"
                    + sealingSwitched + "' AND NOT EXISTS (SELECT 1 FROM topic3 t3 WHERE t3.event_id = t2.event_id)") == 0);
            rollOut(traffic, List.of("--eventflow.cipher.key=", "--eventflow.cipher.keys.next=" + NEXT_KEY));
        }
        try (Connection connection = processes.connect()) {
            await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> traffic.assertTablesHoldExactlyTheAcceptedEvents(connection));
        }
        // Both keys sealed part of the traffic (the rotation happened under it), and every word was opened.
        assertThat(processes.count("topic3 WHERE event_data->>'secretKeyId' = 'default'")).isPositive();
        assertThat(processes.count("topic3 WHERE event_data->>'secretKeyId' = 'next'")).isPositive();
        assertThat(processes.count("topic3 WHERE secret_word IS NULL OR secret_word = ''")).isZero();
        for (Slot slot : slots) {
            RestartedProcesses.assertNothingDeadLettered(slot.process);
        }
        System.out.println("KeyRotationIT: " + traffic.acceptedEvents() + " events accepted through 3 roll-outs of "
                + slots.size() + " process(es), refusals while restarting: " + traffic.refusalAnswers());
    }

    /** One step: each process in turn stopped and started again with {@code args}, traffic flowing on before the next. */
    private void rollOut(Traffic traffic, List<String> args) throws Exception {
        for (Slot slot : slots) {
            slot.process.terminate(Duration.ofSeconds(90));
            slot.process = processes.start(args);
            awaitProgress(traffic);
        }
    }

    private void awaitProgress(Traffic traffic) throws Exception {
        long accepted = traffic.acceptedEvents();
        long topic3 = processes.count("topic3");
        await().atMost(PATIENCE).until(() -> traffic.acceptedEvents() >= accepted + EVENTS_PER_STEP && processes.count("topic3") > topic3);
    }

    /** A place for one process: the client's target, never down for its retries while its process is replaced. */
    private static final class Slot implements Traffic.Target {

        private final String name;
        private volatile EventflowProcess process;

        Slot(String name, EventflowProcess process) {
            this.name = name;
            this.process = process;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean isAlive() {
            return true;
        }

        @Override
        public HttpResponse<String> send(String json, String idempotencyKey) throws IOException, InterruptedException {
            return process.send(json, idempotencyKey);
        }
    }
}
