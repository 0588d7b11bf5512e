package io.eventflow.scaleout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.eventflow.support.EventflowProcess;
import io.eventflow.support.OwnDatabase;
import io.eventflow.support.OwnVhost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The original demo's services as four processes of one jar ({@code eventflow.roles}) on one vhost and one database:
 * the pipeline works end to end, and each process runs, serves and reports only its role.
 */
@EnabledIfSystemProperty(named = "eventflow.embedded", matches = "false",
        disabledReason = "processes by role share the machine's RabbitMQ and PostgreSQL: external mode (-Pexternal) only")
class RolesIT {

    @Test
    void fourProcessesByRoleRunThePipelineAndEachOnlyItsPart() throws Exception {
        List<EventflowProcess> processes = new ArrayList<>();
        try (OwnDatabase database = OwnDatabase.create("eventflow_roles_it");
             OwnVhost vhost = OwnVhost.create("eventflow_roles_it")) {
            String key = EventflowProcess.randomCipherKey();
            for (String role : List.of("ingest", "service1", "service2", "dashboard")) {
                processes.add(EventflowProcess.launch("roles-it-" + role, List.of(
                        "--eventflow.roles=" + role,
                        "--eventflow.embedded=false",
                        "--spring.rabbitmq.virtual-host=" + vhost.name(),
                        "--spring.datasource.url=" + database.url(),
                        "--eventflow.cipher.key=" + key)));
            }
            processes.forEach(EventflowProcess::awaitReady);
            EventflowProcess ingest = processes.get(0);
            EventflowProcess service1 = processes.get(1);
            EventflowProcess service2 = processes.get(2);
            EventflowProcess dashboard = processes.get(3);

            assertThat(ingest.post("{\"eventType\":\"passiveEvent\",\"count\":30}").statusCode()).isEqualTo(202);
            assertThat(ingest.post("{\"eventType\":\"activeEvent\",\"count\":20}").statusCode()).isEqualTo(202);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> database.count("topic1") == 30 && database.count("topic2") == 20 && database.count("topic3") == 20);

            // ingest: takes events, consumes nothing, has no database in its health
            assertThat(ingest.exchanges("service1-topic1-batch") + ingest.exchanges("service2-topic3-batch")).isZero();
            assertThat(ingest.management("/actuator/health").body()).contains("\"rabbit\"").doesNotContain("\"db\"");
            assertThat(ingest.get("/api/metrics").statusCode()).isEqualTo(404);
            // service1 and service2: consume their queues, serve no HTTP API and no dashboard
            assertThat(service1.exchanges("service1-topic1-batch")).isPositive();
            assertThat(service1.exchanges("service2-topic3-batch")).isZero();
            assertThat(service2.exchanges("service2-topic3-batch")).isPositive();
            assertThat(service2.exchanges("service1-topic2-batch")).isZero();
            for (EventflowProcess consumer : List.of(service1, service2)) {
                assertThat(consumer.post("{\"eventType\":\"passiveEvent\"}").statusCode()).as(consumer.name()).isEqualTo(404);
                assertThat(consumer.get("/api/metrics").statusCode()).as(consumer.name()).isEqualTo(404);
                assertThat(consumer.get("/").statusCode()).as(consumer.name()).isEqualTo(404);
            }
            // dashboard: reads, takes no events, consumes nothing
            assertThat(dashboard.get("/api/metrics").statusCode()).isEqualTo(200);
            assertThat(dashboard.get("/").statusCode()).isEqualTo(200);
            assertThat(dashboard.post("{\"eventType\":\"passiveEvent\"}").statusCode()).isEqualTo(404);
            assertThat(dashboard.exchanges("service1-topic1-batch")).isZero();
        } finally {
            for (EventflowProcess process : processes) {
                process.close();
            }
        }
    }
}
