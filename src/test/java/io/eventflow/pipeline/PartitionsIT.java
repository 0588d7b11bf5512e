package io.eventflow.pipeline;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.support.EventflowProcess;
import io.eventflow.support.NetworkNamespace;
import io.eventflow.support.OwnDatabase;
import io.eventflow.support.OwnedResources;
import io.eventflow.support.OwnVhost;
import io.eventflow.support.PrivatePostgres;
import io.eventflow.support.RabbitMqCluster;
import io.eventflow.support.Traffic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Silent network partitions under steady keyed traffic: the broker, the database or Eventflow itself in a network
 * namespace of the test's own ({@link NetworkNamespace}), its veth taken down for 30 s (packets dropped, no reset) and
 * brought up again. Each test prints, and appends to target/partitions.txt, its detection time, refusal window, slowest
 * answer and recovery time (docs/guarantees.md#partitions).
 */
@EnabledIfSystemProperty(named = "eventflow.embedded", matches = "false",
        disabledReason = "runs RabbitMQ, PostgreSQL and Eventflow in network namespaces of its own (root, ip): external mode (-Pexternal) only")
class PartitionsIT {

    private static final Duration PARTITION = Duration.ofSeconds(30);
    private static final Duration PATIENCE = Duration.ofSeconds(180);
    /** eventflow.ingest.request-timeout-ms: no answer may take longer. */
    private static final Duration REQUEST_DEADLINE = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final OwnedResources owned = new OwnedResources();

    @BeforeAll
    static void removeLeftovers() {
        assumeTrue(NetworkNamespace.AVAILABLE, "network namespaces need root and iproute2's ip");
        NetworkNamespace.removeLeftovers("rmq", "pg", "srv", "app");
    }

    @AfterEach
    void removeEverything() throws Exception {
        owned.closeAll();
    }

    private <T extends AutoCloseable> T own(T resource) {
        return owned.own(resource);
    }

    @Test
    void brokerPartitionedIsNoticedWithinTenSecondsRefusedWithinTheDeadlineAndRecoversStoringEveryEventOnce() throws Exception {
        NetworkNamespace namespace = own(NetworkNamespace.create("rmq"));
        NetworkNamespace.Link link = namespace.link(null, 1);
        RabbitMqCluster broker = own(RabbitMqCluster.startIn(namespace, "efp-rmq"));
        OwnDatabase database = own(OwnDatabase.create("eventflow_partition"));
        EventflowProcess app = own(EventflowProcess.launch("partition-broker-it", List.of(
                "--eventflow.embedded=false",
                "--spring.rabbitmq.addresses=" + link.address() + ":5672",
                "--spring.rabbitmq.username=guest", "--spring.rabbitmq.password=guest",
                "--spring.datasource.url=" + database.url(), "--spring.datasource.username=postgres",
                "--eventflow.cipher.key=" + EventflowProcess.randomCipherKey()))).awaitReady();

        Traffic traffic = Traffic.keyed(List.of(app), 10, Duration.ofMillis(20));
        try (traffic; Connection connection = database.connect()) {
            await().atMost(PATIENCE).until(() -> traffic.acceptedEvents() >= 300 && database.count("topic3") > 0);

            long cut = System.nanoTime();
            link.cut();
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).until(() -> !ready(app.managementPort()));
            Duration unready = since(cut);
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> "DOWN".equals(component(app, "rabbit")));
            Duration detection = since(cut);
            long storedAtDetection = storedRows(database);
            await().atMost(REQUEST_DEADLINE).pollInterval(Duration.ofMillis(200))
                    .until(() -> traffic.refusalAnswers().containsKey("503 Broker unavailable"));
            holdTheCut(cut);
            long storedAtHeal = storedRows(database);

            long healed = System.nanoTime();
            link.heal();
            long acceptedAtHeal = traffic.acceptedEvents();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> ready(app.managementPort()) && traffic.acceptedEvents() > acceptedAtHeal);
            Duration recovery = since(healed);
            traffic.close();
            await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).until(() -> traffic.everyAcceptedEventStored(connection));
            traffic.assertEveryAcceptedEventStoredOnce(connection);

            record("broker partitioned 30 s (readiness probe failing after %d ms)".formatted(unready.toMillis()), detection, traffic, recovery);
            assertThat(unready).as("readiness failing as a probe sees it").isLessThanOrEqualTo(Duration.ofSeconds(10));
            // Two missed 3 s heartbeats declare the connection dead; the health's own deadline (2 s, BrokerHealth) keeps
            // its answer from waiting behind the reconnects that follow.
            assertThat(detection).as("the rabbit health answers DOWN").isLessThanOrEqualTo(Duration.ofSeconds(10));
            assertThat(traffic.slowestAnswer()).as("no request waits past the ingest's deadline").isLessThanOrEqualTo(REQUEST_DEADLINE);
            assertThat(storedAtHeal).as("consumers took no work while the broker was cut off").isEqualTo(storedAtDetection);
            assertThat(recovery).as("ready and accepting again after the link came back").isLessThanOrEqualTo(Duration.ofSeconds(10));
            assertThat(traffic.refusalAnswers().keySet()).as("refusals while cut off").containsOnly("503 Broker unavailable");
            assertThat(app.isAlive()).isTrue();
        }
    }

    @Test
    void databasePartitionedTimesOutInSecondsPausesTheConsumersAndStoresEveryEventOnceAfterHealing() throws Exception {
        NetworkNamespace namespace = own(NetworkNamespace.create("pg"));
        NetworkNamespace.Link link = namespace.link(null, 2);
        PrivatePostgres database = own(PrivatePostgres.startIn(namespace, link.address(), "efp-pg"));
        OwnVhost vhost = own(OwnVhost.create("partition"));
        EventflowProcess app = own(EventflowProcess.launch("partition-database-it", List.of(
                "--eventflow.embedded=false",
                "--spring.rabbitmq.virtual-host=" + vhost.name(),
                "--spring.datasource.url=" + database.url(), "--spring.datasource.username=postgres",
                "--eventflow.cipher.key=" + EventflowProcess.randomCipherKey()))).awaitReady();

        Traffic traffic = Traffic.keyed(List.of(app), 10, Duration.ofMillis(20));
        try (traffic; Connection connection = database.connect()) {
            await().atMost(PATIENCE).until(() -> traffic.acceptedEvents() >= 300 && database.count("topic3") > 0);
            int pausedBefore = count(app.log(), "Paused ");
            long storedAtCut = database.count("topic1");

            long cut = System.nanoTime();
            link.cut();
            AtomicLong dashboardMillis = new AtomicLong();
            HttpResponse<String> dashboard = timed(() -> HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + app.appPort() + "/api/events/recent?topic=topic1")).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString()), dashboardMillis);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> count(app.log(), "Paused ") > pausedBefore);
            Duration detection = since(cut);
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                    .until(() -> unacknowledged(vhost) == 0);
            holdTheCut(cut);

            long healed = System.nanoTime();
            link.heal();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> database.count("topic1") > storedAtCut);
            Duration recovery = since(healed);
            traffic.close();
            await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).until(() -> traffic.everyAcceptedEventStored(connection));
            traffic.assertEveryAcceptedEventStoredOnce(connection);
            assertThat(app.get("/api/events/recent?topic=topic1").statusCode()).as("the dashboard's pool reads again, no wedged connection").isEqualTo(200);
            assertThat(queueDepths(vhost, ".dlq")).as("nothing dead-lettered: a cut-off database is transient, not poison").containsOnly(0L);

            record("database partitioned 30 s", detection, traffic, recovery);
            assertThat(dashboard.statusCode()).as("a dashboard read across the cut answers an error").isGreaterThanOrEqualTo(500);
            assertThat(Duration.ofMillis(dashboardMillis.get())).as("within the dashboard's query timeout (10 s) and a margin")
                    .isLessThanOrEqualTo(Duration.ofSeconds(12));
            assertThat(detection).as("stores timed out and the consumers paused").isLessThanOrEqualTo(Duration.ofSeconds(25));
            assertThat(traffic.refusals()).as("the ingest does not need the database").isZero();
        }
    }

    @Test
    void eventflowCutOffHasItsDeliveriesRedeliveredToTheOtherInstanceAndStoresNothingTwice() throws Exception {
        NetworkNamespace servers = own(NetworkNamespace.create("srv"));
        NetworkNamespace.Link serversLink = servers.link(null, 3);
        NetworkNamespace host = own(NetworkNamespace.create("app"));
        NetworkNamespace.Link toServers = host.link(servers, 4);
        NetworkNamespace.Link toClients = host.link(null, 5);
        RabbitMqCluster broker = own(RabbitMqCluster.startIn(servers, "efp-srv"));
        PrivatePostgres database = own(PrivatePostgres.startIn(servers, serversLink.address(), "efp-srv"));
        String key = EventflowProcess.randomCipherKey();
        String apiKey = "partition-test-key";
        EventflowProcess other = own(EventflowProcess.launch("partition-other-it", List.of(
                "--eventflow.embedded=false",
                "--spring.rabbitmq.addresses=" + serversLink.address() + ":5672",
                "--spring.rabbitmq.username=guest", "--spring.rabbitmq.password=guest",
                "--spring.datasource.url=" + database.url(), "--spring.datasource.username=postgres",
                "--eventflow.cipher.key=" + key))).awaitReady();
        EventflowProcess cutOff = own(EventflowProcess.launchIn(host, "partition-cut-off-it", List.of(
                "--eventflow.embedded=false",
                "--server.address=" + toClients.address(),
                "--eventflow.security.api-keys.test=" + sha256(apiKey),
                "--eventflow.security.users.test.password={noop}partition",
                "--spring.rabbitmq.addresses=" + toServers.peerAddress() + ":5672",
                "--spring.rabbitmq.username=guest", "--spring.rabbitmq.password=guest",
                "--spring.datasource.url=jdbc:postgresql://" + toServers.peerAddress() + ":5432/eventflow",
                "--spring.datasource.username=postgres",
                "--eventflow.cipher.key=" + key)));
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).until(() -> {
            assertThat(cutOff.isAlive()).as("the cut-off instance exited; see " + cutOff.logFile()).isTrue();
            return "200".equals(host.execQuietly("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2",
                    "http://127.0.0.1:" + cutOff.managementPort() + "/actuator/health/readiness"));
        });
        Traffic.Target cutOffTarget = keyed(cutOff, URI.create("http://" + toClients.address() + ":" + cutOff.appPort() + "/api/events"), apiKey);

        Traffic traffic = Traffic.keyed(List.of(other, cutOffTarget), 10, Duration.ofMillis(20));
        try (traffic; Connection connection = database.connect()) {
            await().atMost(PATIENCE).until(() -> traffic.acceptedEvents() >= 600 && database.count("topic3") > 0);

            long cut = System.nanoTime();
            toServers.cut();
            toClients.cut();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .until(() -> !broker.ctl(1, "list_connections", "peer_host").contains(toServers.address()));
            Duration detection = since(cut);
            holdTheCut(cut);

            long healed = System.nanoTime();
            toServers.heal();
            toClients.heal();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> broker.ctl(1, "list_connections", "peer_host").contains(toServers.address()));
            Duration recovery = since(healed);
            traffic.close();
            await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).until(() -> traffic.everyAcceptedEventStored(connection));
            traffic.assertEveryAcceptedEventStoredOnce(connection);
            String deadLetters = broker.ctl(1, "list_queues", "name", "messages");
            record("Eventflow cut off 30 s", detection, traffic, recovery);

            assertThat(detection).as("the broker declared the cut-off instance's connection dead").isLessThanOrEqualTo(Duration.ofSeconds(15));
            assertThat(deadLetters.lines().map(line -> line.split("\t")).filter(c -> c.length == 2 && c[0].endsWith(".dlq"))
                    .map(c -> c[1].strip()).toList()).as("nothing dead-lettered: " + deadLetters).isNotEmpty().containsOnly("0");
            assertThat(cutOff.isAlive()).as("the cut-off instance carried on by itself").isTrue();
            assertThat(count(cutOff.log(), "Started")).isPositive();
        }
    }

    private static Traffic.Target keyed(EventflowProcess process, URI uri, String apiKey) {
        return new Traffic.Target() {
            @Override
            public String name() {
                return process.name();
            }

            @Override
            public boolean isAlive() {
                return process.isAlive();
            }

            @Override
            public HttpResponse<String> send(String json, String idempotencyKey) throws IOException, InterruptedException {
                HttpRequest request = Traffic.request(uri, json, idempotencyKey);
                return HTTP.send(HttpRequest.newBuilder(request, (name, value) -> true).header("X-API-Key", apiKey).build(),
                        HttpResponse.BodyHandlers.ofString());
            }
        };
    }

    private static String sha256(String key) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(key.getBytes()));
    }

    /**
     * Readiness as Kubernetes probes it (pod-common.yaml: timeoutSeconds 1 by default): a 200 within 1 s. While the
     * broker is cut off the answer may wait for connection attempts (3 s each, one at a time), which a probe counts as DOWN.
     */
    static boolean ready(int managementPort) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/health/readiness"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** One health component's status, however long the health endpoint takes to answer. */
    private static String component(EventflowProcess app, String name) throws IOException, InterruptedException {
        HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.managementPort() + "/actuator/health"))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(health.body()).path("components").path(name).path("status").asText();
    }

    private static long storedRows(io.eventflow.support.TestDatabase database) throws Exception {
        return database.count("topic1") + database.count("topic2") + database.count("topic3");
    }

    private static long unacknowledged(OwnVhost vhost) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("rabbitmqctl", "-q", "-p", vhost.name(), "list_queues", "--no-table-headers",
                "messages_unacknowledged").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        process.waitFor();
        return output.lines().map(String::strip).filter(line -> line.matches("\\d+")).mapToLong(Long::parseLong).sum();
    }

    /** Messages of each queue of the vhost whose name ends with {@code suffix}. */
    private static List<Long> queueDepths(OwnVhost vhost, String suffix) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("rabbitmqctl", "-q", "-p", vhost.name(), "list_queues", "--no-table-headers",
                "name", "messages").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        process.waitFor();
        List<Long> depths = output.lines().map(line -> line.split("\t")).filter(c -> c.length == 2 && c[0].endsWith(suffix))
                .map(c -> Long.parseLong(c[1].strip())).toList();
        assertThat(depths).as("dead-letter queues of vhost " + vhost.name() + ": " + output).isNotEmpty();
        return depths;
    }

    private static int count(String log, String text) {
        int n = 0;
        for (int at = log.indexOf(text); at >= 0; at = log.indexOf(text, at + 1)) {
            n++;
        }
        return n;
    }

    private interface Call {
        HttpResponse<String> get() throws Exception;
    }

    private static HttpResponse<String> timed(Call call, AtomicLong millis) throws Exception {
        long start = System.nanoTime();
        try {
            return call.get();
        } finally {
            millis.set(Duration.ofNanos(System.nanoTime() - start).toMillis());
        }
    }

    /** Keeps the link down until {@link #PARTITION} after the cut. */
    static void holdTheCut(long cut) throws InterruptedException {
        long left = PARTITION.minus(since(cut)).toMillis();
        if (left > 0) {
            Thread.sleep(left); // the fault's length, not a wait for anything
        }
    }

    static Duration since(long nanos) {
        return Duration.ofNanos(System.nanoTime() - nanos);
    }

    static void record(String fault, Duration detection, Traffic traffic, Duration recovery) throws IOException {
        String line = "%s: detection %d ms, refusal window %d ms (%d refused: %s), slowest answer %d ms, recovery %d ms, %d events accepted"
                .formatted(fault, detection.toMillis(), traffic.refusalWindow().toMillis(), traffic.refusals(), traffic.refusalAnswers(),
                        traffic.slowestAnswer().toMillis(), recovery.toMillis(), traffic.acceptedEvents());
        System.out.println(line);
        Files.writeString(Path.of("target", "partitions.txt"), line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
