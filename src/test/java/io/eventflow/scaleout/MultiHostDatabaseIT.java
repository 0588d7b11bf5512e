package io.eventflow.scaleout;

import java.time.Duration;
import java.util.List;

import io.eventflow.support.EventflowProcess;
import io.eventflow.support.OwnDatabase;
import io.eventflow.support.OwnVhost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A highly available PostgreSQL is reached through a JDBC URL that lists its hosts, the primary found by
 * {@code targetServerType=primary}: with the first host down, Eventflow migrates, stores and serves on the second.
 */
@EnabledIfSystemProperty(named = "eventflow.embedded", matches = "false",
        disabledReason = "uses the machine's PostgreSQL as the second host: external mode (-Pexternal) only")
class MultiHostDatabaseIT {

    @Test
    void urlListingTwoHostsWorksWhenTheFirstIsDown() throws Exception {
        int closedPort = EventflowProcess.freePort();
        try (OwnDatabase database = OwnDatabase.create("eventflow_multihost_it");
             OwnVhost vhost = OwnVhost.create("eventflow_multihost_it");
             EventflowProcess app = EventflowProcess.launch("multi-host-database-it", List.of(
                     "--eventflow.embedded=false",
                     "--spring.rabbitmq.virtual-host=" + vhost.name(),
                     "--spring.datasource.url=jdbc:postgresql://127.0.0.1:" + closedPort + ",127.0.0.1:5432/" + database.name()
                             + "?targetServerType=primary",
                     "--eventflow.cipher.key=" + EventflowProcess.randomCipherKey()))) {
            app.awaitReady();
            assertThat(app.post("{\"eventType\":\"passiveEvent\",\"count\":3}").statusCode()).isEqualTo(202);
            assertThat(app.post("{\"eventType\":\"activeEvent\",\"count\":2}").statusCode()).isEqualTo(202);

            await().atMost(Duration.ofSeconds(60))
                    .until(() -> database.count("topic1") == 3 && database.count("topic2") == 2 && database.count("topic3") == 2);
            assertThat(app.management("/actuator/health/readiness").statusCode()).isEqualTo(200);
        }
    }
}
