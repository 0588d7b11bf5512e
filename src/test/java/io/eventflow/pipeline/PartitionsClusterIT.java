package io.eventflow.pipeline;

import java.io.IOException;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

import io.eventflow.support.EventflowProcess;
import io.eventflow.support.NetworkNamespace;
import io.eventflow.support.OwnDatabase;
import io.eventflow.support.OwnedResources;
import io.eventflow.support.RabbitMqCluster;
import io.eventflow.support.Traffic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static io.eventflow.pipeline.PartitionsIT.holdTheCut;
import static io.eventflow.pipeline.PartitionsIT.ready;
import static io.eventflow.pipeline.PartitionsIT.record;
import static io.eventflow.pipeline.PartitionsIT.since;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One node of a three-node RabbitMQ cluster partitioned from the other two and from Eventflow (issue 24 item 3), under
 * steady keyed traffic: the two majority nodes share namespace efp-cmaj, the minority node is alone in efp-cmin, and
 * Eventflow, on the host, starts connected to the minority node. Cutting the minority's two links (to the majority and
 * to the host) is a partition as one failed switch port makes it. The cluster runs pause_minority: the cut-off node
 * stops serving instead of accepting work the majority never sees. Recorded like {@link PartitionsIT}.
 */
@EnabledIfSystemProperty(named = "eventflow.embedded", matches = "false",
        disabledReason = "runs a RabbitMQ cluster across network namespaces of its own (root, ip): external mode (-Pexternal) only")
class PartitionsClusterIT {

    private static final Duration PATIENCE = Duration.ofSeconds(180);
    private static final Duration REQUEST_DEADLINE = Duration.ofSeconds(20);
    private static final String MAJORITY = "efc-major1@cmajor";
    private static final String MINORITY = "efc-minor1@cminor";
    private static final Executor MILESTONES = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "partition-milestone");
        thread.setDaemon(true);
        return thread;
    });

    private final OwnedResources owned = new OwnedResources();

    @BeforeAll
    static void removeLeftovers() {
        assumeTrue(NetworkNamespace.AVAILABLE, "network namespaces need root and iproute2's ip");
        NetworkNamespace.removeLeftovers("cmaj", "cmin");
    }

    @AfterEach
    void removeEverything() throws Exception {
        owned.closeAll();
    }

    private <T extends AutoCloseable> T own(T resource) {
        return owned.own(resource);
    }

    @Test
    void minorityNodePartitionedPausesWhileEventflowMovesToTheMajorityAndRejoinsStoringEveryEventOnce() throws Exception {
        NetworkNamespace majorityHost = own(NetworkNamespace.create("cmaj"));
        NetworkNamespace minorityHost = own(NetworkNamespace.create("cmin"));
        NetworkNamespace.Link nodes = minorityHost.link(majorityHost, 40);
        NetworkNamespace.Link majorityToEventflow = majorityHost.link(null, 41);
        NetworkNamespace.Link minorityToEventflow = minorityHost.link(null, 42);
        Map<String, String> names = Map.of("cmajor", nodes.peerAddress(), "cminor", nodes.address());
        majorityHost.hosts(names);
        minorityHost.hosts(names);
        String cookie = UUID.randomUUID().toString().replace("-", "");
        RabbitMqCluster majority = own(RabbitMqCluster.startPart(majorityHost, "efc-major", "cmajor", 2, 5740, cookie, null));
        RabbitMqCluster minority = own(RabbitMqCluster.startPart(minorityHost, "efc-minor", "cminor", 1, 5742, cookie, MAJORITY));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> runningNodes(minority) == 3);

        OwnDatabase database = own(OwnDatabase.create("cluster_partition"));
        EventflowProcess app = own(EventflowProcess.launch("partition-cluster-it", List.of(
                "--eventflow.embedded=false",
                // The minority node first: Eventflow connects to it, so the cut makes it move.
                "--spring.rabbitmq.addresses=" + minorityToEventflow.address() + ":5742," + majorityToEventflow.address() + ":5740,"
                        + majorityToEventflow.address() + ":5741",
                "--spring.rabbitmq.username=guest", "--spring.rabbitmq.password=guest",
                "--spring.datasource.url=" + database.url(), "--spring.datasource.username=postgres",
                "--eventflow.cipher.key=" + EventflowProcess.randomCipherKey()))).awaitReady();
        assertThat(minority.ctl(1, "list_connections", "--no-table-headers", "peer_host")).as("Eventflow connected to the node to be cut off")
                .contains(minorityToEventflow.peerAddress());
        for (String queue : Topic.QUEUES) {
            assertThat(queueColumn(majority, queue, "members")).as(queue + " replicated on every node").contains(MAJORITY, "efc-major2@cmajor", MINORITY);
        }
        assertThat(queueColumn(majority, "topic1", "leader")).as("queues declared through the minority node are led there").isEqualTo(MINORITY);

        Traffic traffic = Traffic.keyed(List.of(app), 10, Duration.ofMillis(20));
        try (traffic; Connection connection = database.connect()) {
            await().atMost(PATIENCE).until(() -> traffic.acceptedEvents() >= 300 && database.count("topic3") > 0);

            long cut = System.nanoTime();
            Instant cutAt = Instant.now();
            nodes.cut();
            minorityToEventflow.cut();
            own(() -> { // a failed check leaves the links up, so Eventflow and the nodes stop without waiting on them
                nodes.heal();
                minorityToEventflow.heal();
            });
            long acceptedAtCut = traffic.acceptedEvents();
            // Each milestone awaited on its own thread, so one slow rabbitmqctl call does not delay the others' times.
            CompletableFuture<Duration> moved = after("Eventflow connected to the majority", cut,
                    () -> connectedAt(app, majorityToEventflow.address(), cutAt).isPresent());
            CompletableFuture<Duration> leadersElected = after("every queue led by a majority node", cut,
                    () -> !majority.ctl(1, "list_queues", "--no-table-headers", "name", "leader").contains(MINORITY));
            CompletableFuture<Duration> available = after("ready and accepting", cut,
                    () -> ready(app.managementPort()) && traffic.acceptedEvents() > acceptedAtCut + 100);
            CompletableFuture<Duration> paused = after("the minority node paused", cut,
                    () -> "false".equals(minority.ctl(1, "eval", "rabbit:is_running().").strip()));
            moved.join();
            // Eventflow's own log times the move to the millisecond; the broker's view confirms it.
            Duration detection = Duration.between(cutAt, connectedAt(app, majorityToEventflow.address(), cutAt).orElseThrow());
            // Until the minority is declared down (net_ticktime) the majority's listing may answer {badrpc, nodedown}.
            await("the majority lists Eventflow's connection").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                    .until(() -> majority.ctl(1, "list_connections", "--no-table-headers", "peer_host").contains(majorityToEventflow.peerAddress()));
            leadersElected.join();
            available.join();
            paused.join();
            holdTheCut(cut);

            long healed = System.nanoTime();
            nodes.heal();
            minorityToEventflow.heal();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> runningNodes(minority) == 3 && "true".equals(minority.ctl(1, "eval", "rabbit:is_running().").strip()));
            Duration recovery = since(healed);
            traffic.close();
            await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).until(() -> traffic.everyAcceptedEventStored(connection));
            traffic.assertEveryAcceptedEventStoredOnce(connection);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                    .until(() -> Topic.QUEUES.stream().allMatch(queue -> queueColumn(minority, queue, "online").contains(MINORITY)
                            && inSync(minority, queue)));
            String deadLetters = majority.ctl(1, "list_queues", "--no-table-headers", "name", "messages");

            record("cluster node partitioned 30 s (pause_minority; Eventflow on the majority after %d ms, leaders after %d ms, ready after %d ms, minority paused after %d ms)"
                    .formatted(detection.toMillis(), leadersElected.join().toMillis(), available.join().toMillis(), paused.join().toMillis()), detection, traffic, recovery);
            // Two missed 3 s heartbeats declare the connection dead, then one 3 s connect attempt to the unreachable address.
            assertThat(detection).as("Eventflow reconnected to a majority node").isLessThanOrEqualTo(Duration.ofSeconds(15));
            // 13.5 s measured; 25.8 s while a dead-letter queue on the cut-off node failed RabbitAdmin's declarations, retried inside the connect.
            assertThat(available.join()).as("ready and accepting again on the majority").isLessThanOrEqualTo(Duration.ofSeconds(20));
            assertThat(traffic.slowestAnswer()).as("no request waits past the ingest's deadline").isLessThanOrEqualTo(REQUEST_DEADLINE);
            assertThat(recovery).as("the minority node back in the cluster after the link came back").isLessThanOrEqualTo(Duration.ofSeconds(30));
            assertThat(deadLetters.lines().map(line -> line.split("\t")).filter(c -> c.length == 2 && c[0].endsWith(".dlq"))
                    .map(c -> c[1].strip()).toList()).as("nothing dead-lettered: " + deadLetters).isNotEmpty().containsOnly("0");
            assertThat(app.isAlive()).isTrue();
        }
    }

    /**
     * How long after {@code start} the condition first held, awaited on a thread of its own; polled each second, as
     * each rabbitmqctl call starts an Erlang VM on a 2-core machine that runs the cluster.
     */
    private static CompletableFuture<Duration> after(String milestone, long start, Callable<Boolean> condition) {
        return CompletableFuture.supplyAsync(() -> {
            await(milestone).atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().until(condition);
            return since(start);
        }, MILESTONES);
    }

    /** When Eventflow's log says it connected to a node at {@code address}, the first time after {@code since}. */
    private static Optional<Instant> connectedAt(EventflowProcess app, String address, Instant since) throws IOException {
        return app.log().lines().filter(line -> line.contains("Created new connection") && line.contains("@" + address + ":"))
                .map(line -> Instant.parse(line.substring(0, line.indexOf(' ')))).filter(at -> at.isAfter(since)).findFirst();
    }

    /** Running nodes as the minority node sees them (0 while it cannot answer). */
    private static int runningNodes(RabbitMqCluster part) {
        try {
            String status = part.ctl(1, "cluster_status", "--formatter", "json");
            return status.split("\"running_nodes\":\\[")[1].split("]")[0].split(",").length;
        } catch (RuntimeException notAnswering) {
            return 0;
        }
    }

    /** One column of {@code list_queues} for one queue of vhost /, as a node of {@code part} reports it. */
    private static String queueColumn(RabbitMqCluster part, String queue, String column) {
        return part.ctl(1, "list_queues", "--no-table-headers", "name", column).lines().map(line -> line.split("\t"))
                .filter(c -> c.length == 2 && c[0].equals(queue)).map(c -> c[1].strip()).findFirst().orElse("");
    }

    /** Every member of the quorum queue at the same commit index ({@code rabbitmq-queues quorum_status}). */
    private static boolean inSync(RabbitMqCluster part, String queue) {
        List<String> commitIndexes = part.queuesCommand(1, "quorum_status", queue, "--formatter", "json").lines()
                .flatMap(line -> java.util.regex.Pattern.compile("\"Commit Index\":\\s*(\\d+)").matcher(line).results().map(m -> m.group(1)))
                .toList();
        return commitIndexes.size() == 3 && commitIndexes.stream().distinct().count() == 1;
    }
}
