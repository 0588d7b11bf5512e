package io.eventflow.pipeline;

import java.time.Duration;
import java.util.Map;

import io.eventflow.infra.BrokerTopology;
import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.MachineServices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A database outage and a broker restart in the middle of a flow: every accepted event is stored exactly once.
 * External mode only: it stops and starts this machine's PostgreSQL and RabbitMQ.
 */
@EnabledIfSystemProperty(named = "eventflow.embedded", matches = "false", disabledReason = "stops the machine's own PostgreSQL and RabbitMQ: external mode only")
class OutageTest extends EventflowIntegrationTest {

    private static final Duration RECOVERY = Duration.ofSeconds(120);

    @Test
    void postgresStoppedAndRestartedDuringAFlowLosesNothing() {
        assertThat(postEvents("{\"eventType\":\"activeEvent\",\"count\":300}").getStatusCode().value()).isEqualTo(202);
        MachineServices.stopPostgres();
        try {
            // Ingest needs only the broker: events keep being accepted while the database is down.
            assertThat(postEvents("{\"eventType\":\"passiveEvent\",\"count\":200}").getStatusCode().value()).isEqualTo(202);
            // Nothing can be stored, so the passive events wait in their queue.
            await().atMost(RECOVERY).until(() -> depth("topic1") > 0);
        } finally {
            MachineServices.startPostgres();
        }

        await().atMost(RECOVERY).until(() -> rows("topic1") == 200 && rows("topic2") == 300 && rows("topic3") == 300);
        assertNoDeadLetters();
        assertThat(jdbc.queryForObject("SELECT count(*) FROM topic3 WHERE secret_word IS NULL OR secret_word = ''", Long.class)).isZero();
    }

    @Test
    void brokerRestartedDuringAFlowLosesNothingAndRefusesWhatItCannotConfirm() {
        assertThat(postEvents("{\"eventType\":\"activeEvent\",\"count\":500}").getStatusCode().value()).isEqualTo(202);
        MachineServices.stopRabbitMq();
        try {
            ResponseEntity<Map> refused = postEvents("{\"eventType\":\"passiveEvent\",\"count\":10}");
            assertThat(refused.getStatusCode().value()).isEqualTo(503);
            assertThat(refused.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
            assertThat(refused.getBody()).containsEntry("accepted", 0).containsEntry("title", "Broker unavailable");
        } finally {
            MachineServices.startRabbitMq();
        }

        await().atMost(RECOVERY).until(() -> rows("topic2") == 500 && rows("topic3") == 500);
        // The refused request left nothing behind; a new one is accepted once the connection recovered.
        await().atMost(RECOVERY).until(() -> postEvents("{\"eventType\":\"passiveEvent\",\"count\":10}").getStatusCode().value() == 202);
        await().atMost(RECOVERY).until(() -> rows("topic1") >= 10 && depth("topic1") == 0);
        assertThat(rows("topic1")).isEqualTo(10);
        assertNoDeadLetters();
    }

    private void assertNoDeadLetters() {
        for (String queue : BrokerTopology.QUEUES) {
            assertThat(depth(queue + BrokerTopology.DLQ_SUFFIX)).as(queue + ".dlq").isZero();
        }
    }
}
