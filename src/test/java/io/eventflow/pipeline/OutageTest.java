package io.eventflow.pipeline;

import java.time.Duration;
import java.util.Map;

import io.eventflow.infra.BrokerTopology;
import io.eventflow.support.EventflowIntegrationTest;
import org.apache.camel.CamelContext;
import io.eventflow.support.MachineServices;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.http.MediaType;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.http.ResponseEntity;
import org.springframework.web.client.RestTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A database outage and a broker restart in the middle of a flow: every accepted event is stored exactly once,
 * and health says the broker is DOWN while it is.
 * External mode only: it stops and starts this machine's PostgreSQL and RabbitMQ.
 */
@EnabledIfSystemProperty(named = "eventflow.embedded", matches = "false", disabledReason = "stops the machine's own PostgreSQL and RabbitMQ: external mode only")
class OutageTest extends EventflowIntegrationTest {

    private static final Duration RECOVERY = Duration.ofSeconds(120);

    @LocalManagementPort
    int managementPort;
    @Autowired
    CamelContext camel;

    @Test
    void postgresStoppedAndRestartedDuringAFlowLosesNothing() {
        assertThat(postEvents("{\"eventType\":\"activeEvent\",\"count\":300}").getStatusCode().value()).isEqualTo(202);
        MachineServices.stopPostgres();
        try {
            // Ingest needs only the broker: events keep being accepted while the database is down.
            assertThat(postEvents("{\"eventType\":\"passiveEvent\",\"count\":200}").getStatusCode().value()).isEqualTo(202);
            // Nothing can be stored: a batch of them waits, unacknowledged, retrying its insert.
            await().atMost(RECOVERY).until(() -> camel.getInflightRepository().size("service1-topic1") > 0);
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
            await().atMost(RECOVERY).until(() -> "DOWN".equals(componentHealth("rabbit")));
            ResponseEntity<Map> refused = postEvents("{\"eventType\":\"passiveEvent\",\"count\":10}");
            assertThat(refused.getStatusCode().value()).isEqualTo(503);
            assertThat(refused.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
            assertThat(refused.getBody()).containsEntry("accepted", 0).containsEntry("title", "Broker unavailable");
        } finally {
            MachineServices.startRabbitMq();
        }

        await().atMost(RECOVERY).until(() -> "UP".equals(componentHealth("rabbit")));
        await().atMost(RECOVERY).until(() -> rows("topic2") == 500 && rows("topic3") == 500);
        // The refused request left nothing behind; a new one is accepted once the connection recovered.
        await().atMost(RECOVERY).until(() -> postEvents("{\"eventType\":\"passiveEvent\",\"count\":10}").getStatusCode().value() == 202);
        await().atMost(RECOVERY).until(() -> rows("topic1") >= 10 && depth("topic1") == 0);
        assertThat(rows("topic1")).isEqualTo(10);
        assertNoDeadLetters();
    }

    /** A component's status in /actuator/health on the management port (503 when anything is DOWN). */
    @SuppressWarnings("unchecked")
    private String componentHealth(String component) {
        Map<String, Object> health = new RestTemplate(new org.springframework.http.client.SimpleClientHttpRequestFactory()) {
            {
                setErrorHandler(response -> false);
            }
        }.getForObject("http://127.0.0.1:" + managementPort + "/actuator/health", Map.class);
        Map<String, Object> components = (Map<String, Object>) health.get("components");
        return ((Map<String, Object>) components.get(component)).get("status").toString();
    }

    private void assertNoDeadLetters() {
        for (String queue : BrokerTopology.QUEUES) {
            assertThat(depth(queue + BrokerTopology.DLQ_SUFFIX)).as(queue + ".dlq").isZero();
        }
    }
}
