package io.eventflow.scaleout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;

import io.eventflow.pipeline.Topic;
import io.eventflow.support.EventflowProcess;
import io.eventflow.support.OwnDatabase;
import io.eventflow.support.RabbitMqCluster;
import io.eventflow.support.Traffic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One Eventflow process on a three-node RabbitMQ cluster (scripts/rabbitmq-cluster, on loopback next to the
 * machine's node): under steady traffic the node leading topic1 and topic2 is stopped and started again. Every
 * accepted event is stored once, the same process carries on by itself, and the time the ingest refused work is
 * written to target/cluster-failover.txt.
 */
@EnabledIfSystemProperty(named = "eventflow.embedded", matches = "false",
        disabledReason = "starts a RabbitMQ cluster of Debian's rabbitmq-server: external mode (-Pexternal) only")
class ClusterFailoverIT {

    private static RabbitMqCluster cluster;
    private static OwnDatabase database;
    private static EventflowProcess app;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = RabbitMqCluster.start();
        database = OwnDatabase.create("eventflow_cluster_it");
    }

    @AfterAll
    static void stopEverything() throws Exception {
        try {
            if (app != null) {
                app.close();
            }
        } finally {
            try {
                cluster.close();
            } finally {
                database.close();
            }
        }
    }

    @Test
    void leaderNodeStoppedAndStartedUnderTrafficLosesNoAcceptedEvent() throws Exception {
        app = EventflowProcess.launch("cluster-failover-it", List.of(
                "--eventflow.embedded=false",
                "--spring.rabbitmq.addresses=" + cluster.addresses(),
                "--spring.rabbitmq.username=guest", "--spring.rabbitmq.password=guest",
                "--spring.datasource.url=" + database.url(), "--spring.datasource.username=postgres",
                "--eventflow.cipher.key=" + EventflowProcess.randomCipherKey())).awaitReady();

        var queues = cluster.queues(1);
        for (String queue : Topic.QUEUES) {
            assertThat(queues.get(queue).members()).as(queue + " replicated on every node")
                    .containsExactlyInAnyOrder(RabbitMqCluster.nodeName(1), RabbitMqCluster.nodeName(2), RabbitMqCluster.nodeName(3));
        }
        int leader = cluster.leaderNode("topic1", 1);
        assertThat(cluster.leaderNode("topic2", 1)).as("topic1 and topic2 declared on one connection, led by one node").isEqualTo(leader);
        int survivor = leader % RabbitMqCluster.NODES + 1;

        Traffic traffic = new Traffic(List.of(app), 10, Duration.ofMillis(20));
        try (traffic; Connection connection = database.connect()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> traffic.acceptedEvents() >= 500 && database.count("topic3") > 0);

            cluster.stopNode(leader);
            long acceptedAtStop = traffic.acceptedEvents();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> cluster.leaderNode("topic1", survivor) != leader && cluster.leaderNode("topic2", survivor) != leader
                            && traffic.acceptedEvents() >= acceptedAtStop + 500);

            cluster.startNode(leader);
            long acceptedAtRestart = traffic.acceptedEvents();
            await().atMost(Duration.ofSeconds(60)).until(() -> traffic.acceptedEvents() >= acceptedAtRestart + 500);
            traffic.close();

            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> traffic.everyAcceptedEventStored(connection));
            traffic.assertEveryAcceptedEventStoredOnce(connection);
        }
        assertThat(app.isAlive()).as("the same process, never restarted by hand").isTrue();

        String result = "Leader node ef-rabbit%d stopped and started under traffic: %d events accepted, %d requests refused, refusal window %d ms, slowest answer %d ms"
                .formatted(leader, traffic.acceptedEvents(), traffic.refusals(), traffic.refusalWindow().toMillis(), traffic.slowestAnswer().toMillis());
        System.out.println(result);
        Files.writeString(Path.of("target", "cluster-failover.txt"), result + "\n");
    }
}
