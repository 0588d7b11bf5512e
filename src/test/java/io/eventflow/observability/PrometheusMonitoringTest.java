package io.eventflow.observability;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.support.EventflowIntegrationTest;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.http.HttpStatus;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;
import org.yaml.snakeyaml.Yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * deploy/prometheus and deploy/grafana against a running Eventflow: every metric their expressions select is served at
 * /actuator/prometheus after traffic (a renamed metric cannot silently empty a panel or mute an alert), and a real
 * Prometheus scraping the management port with the shipped rules fires EventflowDeadLetters for a dead-lettered message.
 */
@AutoConfigureObservability // Spring Boot tests leave out the Prometheus registry and the tracer otherwise
@DirtiesContext
// Tracing on, every trace sampled, nowhere to export: the metrics carry trace ids as exemplars, as in a traced deployment.
@TestPropertySource(properties = {"eventflow.data-dir=target/test-data/observability", "management.server.port=0",
        "management.tracing.enabled=true", "management.tracing.sampling.probability=1.0"})
class PrometheusMonitoringTest extends EventflowIntegrationTest {

    static final Path RULES = Path.of("deploy/prometheus/eventflow-rules.yml");
    static final Path BOARD = Path.of("deploy/grafana/eventflow.json");
    /** Series Prometheus makes itself for each target, not Eventflow's. */
    private static final Set<String> PROMETHEUS_OWN = Set.of("up");
    private static final Path PROMETHEUS = Path.of(System.getProperty("eventflow.prometheus.executable", "/usr/bin/prometheus"));
    private static final boolean PROMETHEUS_REQUIRED = Boolean.getBoolean("eventflow.prometheus.required")
            || "true".equalsIgnoreCase(System.getenv("CI"));

    private final HttpClient client = HttpClient.newHttpClient();

    @LocalManagementPort
    int managementPort;
    @Autowired
    RabbitTemplate rabbit;

    @Test
    void everyMetricTheBoardAndTheRulesSelectIsServedAfterTraffic() throws Exception {
        traffic();

        Map<String, Set<String>> selected = new TreeMap<>();
        rulesExpressions().forEach(expression -> selected.put(expression, PromQlNames.metricNames(expression)));
        boardExpressions().forEach(expression -> selected.put(expression, PromQlNames.metricNames(expression)));
        assertThat(selected.values()).as("expressions of %s and %s", RULES, BOARD).hasSizeGreaterThan(20);

        // The dead-letter gauge appears on the watch's first look, 5 s after the start.
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            Set<String> served = servedNames();
            Map<String, Set<String>> missing = new TreeMap<>();
            selected.forEach((expression, names) -> {
                Set<String> absent = new TreeSet<>(names);
                absent.removeAll(served);
                absent.removeAll(PROMETHEUS_OWN);
                if (!absent.isEmpty()) {
                    missing.put(expression, absent);
                }
            });
            assertThat(missing).as("metrics selected but not served at /actuator/prometheus (expression -> names)").isEmpty();
        });
    }

    @Test
    void aDeadLetteredMessageFiresEventflowDeadLettersInARealPrometheus(@TempDir Path work) throws Exception {
        String missing = PROMETHEUS + " is not there: install it (apt-get install -y prometheus) or point "
                + "-Deventflow.prometheus.executable at one";
        if (PROMETHEUS_REQUIRED) {
            assertThat(Files.isExecutable(PROMETHEUS)).as(missing).isTrue();
        } else if (!Files.isExecutable(PROMETHEUS)) {
            System.err.println("WARNING: " + missing + "; PrometheusMonitoringTest's alert test is skipped");
            Assumptions.abort(missing);
        }
        // Traced traffic first: a Prometheus older than 2.43 (Debian 12's 2.42) drops a whole scrape that has an exemplar
        // on a timer's _count ("metric name ..._count does not support exemplars"), and untraced traffic makes none.
        traffic();
        int port = freePort();
        Files.writeString(work.resolve("prometheus.yml"), """
                global:
                  # A scrape must end within its interval: 1 s is little for a loaded machine (one run saw no series in 90 s).
                  scrape_interval: 2s
                  scrape_timeout: 2s
                  evaluation_interval: 1s
                rule_files:
                  - %s
                scrape_configs:
                  - job_name: eventflow
                    metrics_path: /actuator/prometheus
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                """.formatted(RULES.toAbsolutePath(), managementPort));
        Process prometheus = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + work.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + work.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(work.resolve("prometheus.log").toFile()).start();
        try {
            // Scraping, the dead-letter gauge seen at 0, the rules loaded and quiet: the alert below has the poison as cause.
            await().atMost(Duration.ofSeconds(90)).ignoreExceptionsInstanceOf(IOException.class).untilAsserted(() -> {
                assertThat(prometheus.isAlive()).as("Prometheus running; its log: " + work.resolve("prometheus.log")).isTrue();
                assertThat(query(port, "eventflow_dead_letters{queue=\"topic1.dlq\"}"))
                        .as("dead letters of topic1 as scraped; the scrape target: %s", get(port, "/api/v1/targets").path("data").path("activeTargets"))
                        .containsExactly("0");
                assertThat(rule(port, "EventflowDeadLetters").path("health").asText()).isEqualTo("ok");
                assertThat(rule(port, "EventflowDeadLetters").path("state").asText()).isEqualTo("inactive");
            });

            rabbit.convertAndSend("", "topic1", "not an event");

            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                JsonNode alerts = get(port, "/api/v1/alerts").path("data").path("alerts");
                assertThat(alerts.findValues("labels")).as("alerts of a Prometheus scraping Eventflow; its log: " + work)
                        .anySatisfy(labels -> {
                            assertThat(labels.path("alertname").asText()).isEqualTo("EventflowDeadLetters");
                            assertThat(labels.path("queue").asText()).isEqualTo("topic1.dlq");
                        });
                assertThat(rule(port, "EventflowDeadLetters").path("state").asText()).isEqualTo("firing");
            });
        } finally {
            prometheus.destroy();
            if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
            }
        }
    }

    /** Events of both types and a refused one: every stage's metrics exist afterwards. */
    private void traffic() {
        long passive = rows("topic1");
        long active = rows("topic3");
        assertThat(postEvents("{\"eventType\":\"passiveEvent\",\"count\":3}").getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        assertThat(postEvents("{\"eventType\":\"activeEvent\",\"count\":3}").getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        assertThat(postEvents("{\"eventType\":\"nope\"}").getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        await().atMost(Duration.ofSeconds(60)).until(() -> rows("topic1") == passive + 3 && rows("topic3") == active + 3);
    }

    private Set<String> servedNames() throws Exception {
        HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + managementPort + "/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        Set<String> names = new TreeSet<>();
        for (String line : metrics.body().split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }

    @SuppressWarnings("unchecked")
    static List<String> rulesExpressions() throws IOException {
        Map<String, Object> rules = new Yaml().load(Files.readString(RULES));
        return ((List<Map<String, Object>>) rules.get("groups")).stream()
                .flatMap(group -> ((List<Map<String, Object>>) group.get("rules")).stream())
                .map(rule -> (String) rule.get("expr")).toList();
    }

    static List<String> boardExpressions() throws IOException {
        return new ObjectMapper().readTree(BOARD.toFile()).findValues("expr").stream().map(JsonNode::asText).toList();
    }

    private List<String> query(int port, String promql) throws Exception {
        JsonNode result = get(port, "/api/v1/query?query=" + java.net.URLEncoder.encode(promql, java.nio.charset.StandardCharsets.UTF_8))
                .path("data").path("result");
        return result.findValues("value").stream().map(value -> value.get(1).asText()).toList();
    }

    private JsonNode rule(int port, String alert) throws Exception {
        for (JsonNode group : get(port, "/api/v1/rules?type=alert").path("data").path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (alert.equals(rule.path("name").asText())) {
                    return rule;
                }
            }
        }
        throw new AssertionError("Prometheus has no alert rule " + alert);
    }

    private JsonNode get(int port, String path) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path).isEqualTo(200);
        return new ObjectMapper().readTree(response.body());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
