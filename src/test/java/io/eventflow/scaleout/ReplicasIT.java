package io.eventflow.scaleout;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.eventflow.support.EventflowProcess;
import io.eventflow.support.OwnDatabase;
import io.eventflow.support.OwnVhost;
import io.eventflow.support.Traffic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three Eventflow processes on one vhost and one database, started at once (Flyway migrates once), traffic through
 * all three, one SIGKILLed mid-flow: every accepted event stored once, and each survivor kept consuming its share
 * after the kill (the killed one's unacknowledged messages went back to the queue and to them).
 */
@EnabledIfSystemProperty(named = "eventflow.embedded", matches = "false",
        disabledReason = "replicas share the machine's RabbitMQ and PostgreSQL: external mode (-Pexternal) only")
class ReplicasIT {

    private static final List<String> CONSUMERS = List.of("service1-topic1-batch", "service1-topic2-batch", "service2-topic3-batch");

    @Test
    void threeInstancesShareTheWorkAndOneKilledMidFlowLosesNothing() throws Exception {
        List<EventflowProcess> instances = new ArrayList<>();
        try (OwnDatabase database = OwnDatabase.create("eventflow_replicas_it");
             OwnVhost vhost = OwnVhost.create("eventflow_replicas_it");
             Connection connection = database.connect()) {
            String key = EventflowProcess.randomCipherKey();
            for (int i = 1; i <= 3; i++) {
                instances.add(EventflowProcess.launch("replicas-it-" + i, List.of(
                        "--eventflow.embedded=false",
                        "--spring.rabbitmq.virtual-host=" + vhost.name(),
                        "--spring.datasource.url=" + database.url(),
                        "--eventflow.cipher.key=" + key)));
            }
            instances.forEach(EventflowProcess::awaitReady);
            assertThat(query(connection, "SELECT count(*) - count(DISTINCT version) FROM flyway_schema_history WHERE success"))
                    .as("each migration applied once by three instances starting together").isZero();

            EventflowProcess killed = instances.get(2);
            List<EventflowProcess> survivors = instances.subList(0, 2);
            Traffic traffic = new Traffic(instances, 10, Duration.ofMillis(20));
            Map<String, Long> atKill = new HashMap<>();
            try (traffic) {
                await().atMost(Duration.ofSeconds(60)).until(() -> traffic.acceptedEvents() >= 1500 && database.count("topic3") > 0);
                killed.kill();
                for (EventflowProcess survivor : survivors) {
                    atKill.put(survivor.name(), survivor.exchanges("service1-topic1-batch"));
                }
                long acceptedAtKill = traffic.acceptedEvents();
                await().atMost(Duration.ofSeconds(60)).until(() -> traffic.acceptedEvents() >= acceptedAtKill + 1500);
            }
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> traffic.everyAcceptedEventStored(connection));
            traffic.assertEveryAcceptedEventStoredOnce(connection);

            StringBuilder shares = new StringBuilder("Replicas: " + traffic.acceptedEvents() + " events accepted; batches each survivor consumed in all:");
            for (EventflowProcess survivor : survivors) {
                long after = survivor.exchanges("service1-topic1-batch") - atKill.get(survivor.name());
                shares.append(' ').append(survivor.name()).append(' ');
                for (String route : CONSUMERS) {
                    shares.append(route).append('=').append(survivor.exchanges(route)).append(' ');
                }
                assertThat(after).as(survivor.name() + " consumed topic1 after the kill").isPositive();
            }
            System.out.println(shares);
        } finally {
            for (EventflowProcess instance : instances) {
                instance.close();
            }
        }
    }

    private static long query(Connection connection, String sql) throws Exception {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
