package io.eventflow.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.eventflow.pipeline.Topic;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.management.MBeanOperationInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Address;
import io.eventflow.support.EventflowIntegrationTest;
import io.eventflow.support.LogLines;
import io.eventflow.support.QueueMessages;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.test.spring.junit5.DisableJmx;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * Management as shipped: its own port on loopback, no login. Also watches a probe route file of its own and a copy of
 * the Java DSL route routes/DeadLetterWatch.java, in a reload directory of its own, so the pipeline's routes/ are never edited.
 */
@DisableJmx(false) // Camel tests turn JMX off by default; Jolokia and Hawtio read Camel's MBeans
@AutoConfigureObservability(tracing = false) // Spring Boot tests leave out the Prometheus registry otherwise
// A context of its own configuration: closed after the class, so its consumers never take another test's messages.
@DirtiesContext
@TestPropertySource(properties = {
        "eventflow.data-dir=target/test-data/ops-management",
        "management.server.port=0",
        // As in production: Spring Boot's tests turn its JMX off, and the actuator's MBeans with it.
        "spring.jmx.enabled=true",
        "eventflow.routes-reload=true",
        "camel.main.routes-reload-directory=" + ManagementEndpointsTest.RELOAD_DIR,
        "camel.main.routes-include-pattern=file:routes/*.camel.yaml,file:" + ManagementEndpointsTest.RELOAD_DIR + "/*.camel.yaml,"
                + "file:" + ManagementEndpointsTest.RELOAD_DIR + "/*.java"})
class ManagementEndpointsTest extends EventflowIntegrationTest {

    static final String RELOAD_DIR = "target/test-routes/ops-reload";
    static final Path PROBE = Path.of(RELOAD_DIR, "probe.camel.yaml");
    /** The shipped Java DSL route, copied, ticking every 100 ms instead of 15 s. */
    static final Path JAVA_ROUTE = Path.of(RELOAD_DIR, "DeadLetterWatch.java");
    private static final String SHIPPED_TIMER = "period=15000&delay=5000";
    private static final String CAMEL_ROUTES = "org.apache.camel:context=*,type=routes,name=*";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GOOD_STEP = "to: direct:ops-reload-probe-sink";
    private static final String UNKNOWN_BEAN_STEP = "bean: {ref: noSuchBean, method: handle}";

    @LocalManagementPort
    int managementPort;
    @LocalServerPort
    int applicationPort;
    @Autowired
    CamelContext camel;
    @Autowired
    ApplicationContext applicationContext;
    @Autowired
    CachingConnectionFactory connectionFactory;
    @Autowired
    RabbitTemplate rabbit;
    @Autowired
    MeterRegistry meters;

    @DynamicPropertySource
    static void probeRouteFile(DynamicPropertyRegistry registry) throws IOException {
        Files.createDirectories(PROBE.getParent());
        Files.writeString(PROBE, probeRoute("version 1", GOOD_STEP));
        Files.writeString(JAVA_ROUTE, javaRoute("period=100&delay=0"));
    }

    @Test
    void healthShowsBrokerAndDatabaseUp() throws Exception {
        // This class edits its route files at start-up: while a route reloads, Camel's route health check fails for an
        // instant (RouteHealthCheck meets the removed route's null status, an NPE), so the first look may say DOWN.
        JsonNode health = await().atMost(Duration.ofSeconds(15)).until(this::health, h -> h.at("/status").asText().equals("UP"));

        assertThat(health.at("/components/rabbit/status").asText()).isEqualTo("UP");
        assertThat(health.at("/components/db/status").asText()).isEqualTo("UP");
        assertThat(management().get("/actuator/health/liveness").statusCode()).isEqualTo(200);
        assertThat(management().get("/actuator/health/readiness").statusCode()).isEqualTo(200);
    }

    // The broker made unreachable by resolving it to a closed port (a resolver wins over host, port and
    // addresses): works the same on the embedded broker and a real RabbitMQ, and is undone in finally.
    @Test
    void pathsTheFirewallRefusesAreA400ProblemOnBothPorts() throws IOException {
        List<String> firewalled = List.of("/actuator//jolokia/version", "/actuator/./jolokia/version", "/api/%2e/metrics");
        // On the application port every /actuator path is a 404 however it is spelled (applicationPortServesNoHawtio...).
        assertThat(rawGet(managementPort, "/actuator/%6Aolokia/read/java.lang:type=Memory")).startsWith("HTTP/1.1 400");
        for (int port : List.of(managementPort, applicationPort)) {
            for (String path : firewalled) {
                String head = rawGet(port, path);
                assertThat(head).as("GET %s on port %d", path, port).startsWith("HTTP/1.1 400")
                        .containsIgnoringCase("Content-Type: application/problem+json");
            }
        }
    }

    /** The status line and headers of a GET sent as written: HTTP clients normalise the very paths under test. */
    private static String rawGet(int port, String path) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            return answer.substring(0, Math.max(0, answer.indexOf("\r\n\r\n")));
        }
    }

    @Test
    void healthShowsBrokerDownWhileItIsUnreachable() throws Exception {
        Address closed = new Address("127.0.0.1", closedPort());
        try {
            connectionFactory.setAddressResolver(() -> List.of(closed));
            connectionFactory.resetConnection();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> health().at("/components/rabbit/status").asText().equals("DOWN"));
            assertThat(health().at("/status").asText()).isEqualTo("DOWN");
            assertThat(health().at("/components/db/status").asText()).isEqualTo("UP");
        } finally {
            connectionFactory.setAddressResolver(null);
            connectionFactory.resetConnection();
        }
        await().atMost(Duration.ofSeconds(20))
                .until(() -> health().at("/components/rabbit/status").asText().equals("UP"));
        // The consumers come back by themselves once the broker is reachable again.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Topic.QUEUES)
                .allSatisfy(queue -> assertThat(amqp.getQueueInfo(queue).getConsumerCount()).as(queue).isPositive()));
    }

    @Test
    void theDeadLetterOperationsAreAnMBeanHawtioShows() throws Exception {
        ObjectName endpoint = new ObjectName("org.springframework.boot:type=Endpoint,name=Deadletters,*");
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();

        assertThat(server.queryNames(endpoint, null)).singleElement().satisfies(name ->
                assertThat(server.getMBeanInfo(name).getOperations()).extracting(MBeanOperationInfo::getName).contains("list", "replay"));
    }

    @Test
    void hawtioConsoleLoadsOnTheManagementPort() {
        HttpResponse<String> console = management().get("/actuator/hawtio/");

        assertThat(console.statusCode()).isEqualTo(200);
        assertThat(console.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
        assertThat(console.body()).containsIgnoringCase("<html").containsIgnoringCase("hawtio");
    }

    @Test
    void applicationPortServesNoHawtioNorActuator() {
        ManagementClient app = ManagementClient.on(applicationPort);
        for (String path : List.of("/actuator", "/actuator/health", "/actuator/hawtio", "/actuator/hawtio/",
                "/actuator/hawtio/index.html", "/actuator/hawtio/auth/config", "/actuator/hawtio/auth/login",
                "/actuator/hawtio/user", "/actuator/hawtio/keycloak/enabled", "/actuator/hawtio/hawtconfig.json",
                "/actuator/jolokia", "/actuator/jolokia/version", "/actuator/prometheus", "/hawtio", "/hawtio/",
                "/auth/config", "/jolokia")) {
            HttpResponse<String> answer = app.get(path);
            assertThat(answer.statusCode()).as(path).isEqualTo(404);
            if (!path.startsWith("/auth")) {
                assertThat(answer.headers().firstValue("Content-Type")).as(path).hasValue("application/problem+json");
            }
        }
        // The management port's own filters stay in its context: the API decodes and checks its paths itself.
        assertThat(applicationContext.getBeanNamesForType(ManagementCanonicalPaths.class)).isEmpty();
    }

    @Test
    void applicationPortStaysOpenWithoutLoginOrCsrfToken() {
        assertThat(postEvents("{\"eventType\":\"passiveEvent\",\"count\":1}").getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        assertThat(postEvents("/events", "{\"eventType\":\"passiveEvent\",\"count\":1}", MediaType.APPLICATION_JSON)
                .getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        HttpResponse<String> webjar = ManagementClient.on(applicationPort).get("/webjars/uplot/1.6.30/dist/uPlot.min.css");
        assertThat(webjar.statusCode()).isEqualTo(200);
        assertThat(webjar.headers().firstValue("Set-Cookie")).isEmpty();
    }

    @Test
    void jolokiaListsTheCamelRoutes() throws Exception {
        HttpResponse<String> read = management().jolokiaRead(CAMEL_ROUTES, "RouteId,ExchangesCompleted,ExchangesFailed,ExchangesInflight");

        JsonNode answer = JSON.readTree(read.body());
        assertThat(answer.path("status").asInt()).as(read.body()).isEqualTo(200);
        JsonNode routes = answer.path("value");
        List<String> ids = routes.findValuesAsText("RouteId");
        assertThat(ids).contains("ingest-events", "service1-topic1", "service1-topic2", "service2-topic3", "dead-letter");
        assertThat(routes.findValues("ExchangesCompleted")).allSatisfy(value -> assertThat(value.isNumber()).isTrue());
    }

    @Test
    void jolokiaRefusesARequestWithoutTheConsolesXsrfToken() {
        HttpResponse<String> refused = management().jolokiaReadWithoutToken(CAMEL_ROUTES, "RouteId");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @Test
    void prometheusHasPerRouteMetricsAfterTraffic() {
        assertThat(postEvents("{\"eventType\":\"activeEvent\",\"count\":3}").getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);

        // Only the ingest is surely this context's: with -Pexternal another cached test context may consume the messages.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            String metrics = management().get("/actuator/prometheus").body();
            assertThat(metrics)
                    .containsPattern("camel_exchanges_total\\{[^}]*routeId=\"ingest-events\"[^}]*} [1-9]")
                    .containsPattern("camel_route_policy_seconds_count\\{[^}]*routeId=\"ingest-events\"[^}]*} [1-9]")
                    .contains("camel_exchanges_failed_total", "jvm_memory_used_bytes");
            // Counters exist per route from the start; its timer from its first exchange.
            for (String route : List.of("service1-topic1", "service1-topic2", "service2-topic3", "dead-letter")) {
                assertThat(metrics).containsPattern("camel_exchanges_total\\{[^}]*routeId=\"" + route + "\"");
            }
        });
    }

    @Test
    void managementPortIsNotReachableOnANonLoopbackAddress() throws Exception {
        Optional<InetAddress> external = nonLoopbackAddress();
        Assumptions.assumeTrue(external.isPresent(), "this machine has no non-loopback IPv4 address");

        assertThatThrownBy(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(external.get(), managementPort), 2000);
            }
        }).isInstanceOf(ConnectException.class);
        assertThat(management().get("/actuator/health").statusCode()).isEqualTo(200);
    }

    @Test
    void editedRouteFileIsReloadedAndABrokenEditKeepsThePreviousRoute() throws Exception {
        Files.writeString(PROBE, probeRoute("version 2", GOOD_STEP));
        await().atMost(Duration.ofSeconds(30)).until(() -> "version 2".equals(probeDescription()));

        try (LogLines reloadLog = LogLines.of(RouteReloadGuard.class)) {
            // Parses, but cannot be built: Camel has removed the old route by then; it must come back.
            Files.writeString(PROBE, probeRoute("version 3", UNKNOWN_BEAN_STEP));
            await().atMost(Duration.ofSeconds(30)).until(() -> reloadLog.contains("not reloaded"));
            await().atMost(Duration.ofSeconds(10)).until(() -> "version 2".equals(probeDescription()));
            assertThat(camel.getRouteController().getRouteStatus("ops-reload-probe").isStarted()).isTrue();

            // Does not even parse.
            Files.writeString(PROBE, "- route:\n    id: ops-reload-probe\n    from: [\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> reloadLog.count("not reloaded") >= 2);
            assertThat(probeDescription()).isEqualTo("version 2");
            assertThat(camel.getRouteController().getRouteStatus("ops-reload-probe").isStarted()).isTrue();
        } finally {
            Files.writeString(PROBE, probeRoute("version 1", GOOD_STEP));
        }
    }

    @Test
    void javaRouteFileRunsAndIsReloadedAfterAnEditAndABrokenEditKeepsThePreviousRoute() throws Exception {
        assertThat(camel.getRouteController().getRouteStatus("dead-letter-watch").isStarted()).isTrue();
        QueueMessages.publish(rabbit, "topic1.dlq", "{}");
        await().atMost(Duration.ofSeconds(30)).until(() -> deadLetterGauge("topic1.dlq") == 1);

        try (LogLines reloadLog = LogLines.of(RouteReloadGuard.class)) {
            Files.writeString(JAVA_ROUTE, javaRoute("period=150&delay=0"));
            await().atMost(Duration.ofSeconds(60)).until(() -> watchTimer().contains("period=150"));
            // The reloaded route feeds the gauge registered by the first one.
            QueueMessages.publish(rabbit, "topic1.dlq", "{}");
            await().atMost(Duration.ofSeconds(30)).until(() -> deadLetterGauge("topic1.dlq") == 2);

            // Does not compile.
            Files.writeString(JAVA_ROUTE, javaRoute("period=200&delay=0").replace("extends RouteBuilder", "extends NoSuchBuilder"));
            await().atMost(Duration.ofSeconds(60)).until(() -> reloadLog.contains("not reloaded"));
            assertThat(watchTimer()).contains("period=150");
            assertThat(camel.getRouteController().getRouteStatus("dead-letter-watch").isStarted()).isTrue();
        } finally {
            Files.writeString(JAVA_ROUTE, javaRoute("period=100&delay=0"));
        }
    }

    private static String javaRoute(String timer) throws IOException {
        String shipped = Files.readString(Path.of("routes", "DeadLetterWatch.java"));
        assertThat(shipped).contains(SHIPPED_TIMER);
        return shipped.replace(SHIPPED_TIMER, timer);
    }

    private String watchTimer() {
        Route route = camel.getRoute("dead-letter-watch");
        return route == null ? "" : route.getEndpoint().getEndpointUri();
    }

    private double deadLetterGauge(String queue) {
        Gauge gauge = meters.find("eventflow.dead.letters").tag("queue", queue).gauge();
        return gauge == null ? Double.NaN : gauge.value();
    }

    private static String probeRoute(String description, String step) {
        return """
                - route:
                    id: ops-reload-probe
                    description: %s
                    from:
                      uri: direct:ops-reload-probe
                      steps:
                        - %s
                """.formatted(description, step);
    }

    private String probeDescription() {
        Route route = camel.getRoute("ops-reload-probe");
        return route == null ? null : route.getDescription();
    }

    private ManagementClient management() {
        return ManagementClient.on(managementPort);
    }

    private JsonNode health() throws IOException {
        return JSON.readTree(management().get("/actuator/health").body());
    }

    private static int closedPort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static Optional<InetAddress> nonLoopbackAddress() throws SocketException {
        return NetworkInterface.networkInterfaces()
                .filter(nic -> {
                    try {
                        return nic.isUp() && !nic.isLoopback();
                    } catch (SocketException e) {
                        return false;
                    }
                })
                .flatMap(NetworkInterface::inetAddresses)
                .filter(address -> address instanceof Inet4Address && !address.isLoopbackAddress())
                .findFirst();
    }
}
