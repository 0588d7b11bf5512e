package io.eventflow.dashboard;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.eventflow.support.EventflowIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class DashboardApiTest extends EventflowIntegrationTest {

    private static final MediaType PROBLEM = MediaType.APPLICATION_PROBLEM_JSON;

    @LocalServerPort
    int port;

    @Test
    void metricsCountEveryStoredEventExactlyAndShowEveryQueue() {
        postEvents("{\"eventType\":\"passiveEvent\",\"count\":5}");
        postEvents("{\"eventType\":\"activeEvent\",\"count\":3}");
        await().atMost(Duration.ofSeconds(20)).until(() -> rows("topic1") == 5 && rows("topic3") == 3);

        ResponseEntity<Map> answer = http.getForEntity("/api/metrics", Map.class);

        assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(answer.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_JSON);
        Map<String, Map<String, Object>> topics = (Map) answer.getBody().get("topics");
        assertThat(topics.get("topic1")).containsEntry("count", 5).containsEntry("windowCount", 5)
                .containsKeys("avgMs", "p50Ms", "p95Ms", "p99Ms", "ratePerSec");
        assertThat(topics.get("topic2")).containsEntry("count", 3);
        assertThat(topics.get("topic3")).containsEntry("count", 3);
        assertThat(((Number) topics.get("topic1").get("p95Ms")).doubleValue()).isGreaterThanOrEqualTo(0);
        assertThat(((Number) topics.get("topic1").get("ratePerSec")).doubleValue()).isPositive();
        assertThat(answer.getBody()).containsEntry("windowSeconds", 300);
        assertThat(topics).containsOnlyKeys("topic1", "topic2", "topic3");
        // What the page builds its cards and selectors from: the topic as modelled.
        assertThat(topics.get("topic2")).containsEntry("label", "active events, service 1").containsEntry("eventType", "activeEvent")
                .containsEntry("queue", "topic2").containsEntry("deadLetterQueue", "topic2.dlq").containsEntry("table", "topic2")
                .containsEntry("route", "service1-topic2").containsEntry("hasSecretWord", false).containsEntry("ingested", true)
                .containsEntry("feeds", List.of("topic3"));
        assertThat(topics.get("topic3")).containsEntry("hasSecretWord", true).containsEntry("ingested", false)
                .containsEntry("feeds", List.of());
        // Queue depths are a sample at most a second old.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            Map<String, Map<String, Object>> queues = (Map) http.getForEntity("/api/metrics", Map.class).getBody().get("queues");
            assertThat(queues).containsOnlyKeys("topic1", "topic2", "topic3", "topic1.dlq", "topic2.dlq", "topic3.dlq");
            assertThat(queues.get("topic1")).containsEntry("messages", 0).containsEntry("deadLetter", false);
            assertThat((Integer) queues.get("topic1").get("consumers")).isPositive();
            assertThat(queues.get("topic3.dlq")).containsEntry("messages", 0).containsEntry("deadLetter", true);
        });
        assertThat(Instant.parse((String) answer.getBody().get("generatedAt"))).isBefore(Instant.now().plusSeconds(1));
    }

    @Test
    void countsStayExactThroughDuplicatesDeletesAndTruncate() {
        String id = UUID.randomUUID().toString();
        String insert = "INSERT INTO topic1 (event_id, event_type, batch_id, create_date, processed_date, total_time_ms, event_data) "
                + "VALUES (?::uuid, 'passiveEvent', gen_random_uuid(), now(), now(), 1, '{}') ON CONFLICT (event_id) DO NOTHING";
        jdbc.update(insert, id);
        jdbc.update(insert, id);
        jdbc.update(insert, UUID.randomUUID().toString());
        assertThat(count("topic1")).isEqualTo(2).isEqualTo(rows("topic1"));

        jdbc.update("DELETE FROM topic1 WHERE event_id = ?::uuid", id);
        assertThat(count("topic1")).isEqualTo(1).isEqualTo(rows("topic1"));

        jdbc.execute("TRUNCATE topic1");
        assertThat(count("topic1")).isZero();
    }

    @Test
    void seriesHasOneAlignedPointPerBucketForEachTopic() {
        postEvents("{\"eventType\":\"passiveEvent\",\"count\":4}");
        await().atMost(Duration.ofSeconds(20)).until(() -> rows("topic1") == 4);

        ResponseEntity<Map> answer = http.getForEntity("/api/metrics/series?window=1m", Map.class);

        assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(answer.getBody()).containsEntry("window", "1m").containsEntry("windowSeconds", 60).containsEntry("bucketSeconds", 2);
        List<Integer> times = (List<Integer>) answer.getBody().get("times");
        assertThat(times).hasSize(30);
        Map<String, Map<String, List<Number>>> topics = (Map) answer.getBody().get("topics");
        assertThat(topics).containsOnlyKeys("topic1", "topic2", "topic3");
        topics.values().forEach(topic -> assertThat(topic.get("ratePerSec")).hasSize(30));
        assertThat(topics.get("topic1").get("ratePerSec").stream().mapToDouble(Number::doubleValue).sum()).isPositive();
        assertThat(topics.get("topic2").get("p95Ms")).containsOnlyNulls();
    }

    @Test
    void unknownSeriesWindowIsABadRequest() {
        assertProblem(http.getForEntity("/api/metrics/series?window=7d", Map.class), 400, "Unknown window");
    }

    @Test
    void anAnswerIsJsonThatEchoesNoRequestHeader() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base() + "/api/events/recent?topic=topic2&limit=1"))
                .header("X-Secret", "echo me").GET().build();

        HttpResponse<String> answer = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(answer.headers().map().keySet()).doesNotContain("topic", "limit", "x-secret", "X-Secret");
        assertThat(answer.body()).startsWith("{\"topic\":\"topic2\",\"limit\":1,\"events\":[");
    }

    @Test
    void theJsonBindingLeavesAProblemAnswerAsApiErrorsWroteIt() {
        ResponseEntity<String> answer = http.getForEntity("/api/metrics/series?window=7d", String.class);

        assertThat(answer.getStatusCode().value()).isEqualTo(400);
        assertThat(answer.getHeaders().getContentType()).isEqualTo(PROBLEM);
        assertThat(answer.getBody()).isEqualTo("{\"type\":\"about:blank\",\"title\":\"Unknown window\",\"status\":400,"
                + "\"detail\":\"window must be one of 1m, 5m, 15m, 1h\"}");
    }

    @Test
    void recentEventsOfTopic3AreNewestFirstWithTheSecretWord() {
        postEvents("{\"eventType\":\"activeEvent\",\"count\":3}");
        await().atMost(Duration.ofSeconds(20)).until(() -> rows("topic3") == 3);

        ResponseEntity<Map> answer = http.getForEntity("/api/events/recent?topic=topic3&limit=2", Map.class);

        assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.OK);
        List<Map<String, Object>> events = (List) answer.getBody().get("events");
        assertThat(events).hasSize(2);
        assertThat(events).allSatisfy(event -> assertThat((String) event.get("secretWord")).matches("[a-z]+"));
        assertThat((String) events.get(0).get("processedDate")).isGreaterThanOrEqualTo((String) events.get(1).get("processedDate"));
    }

    @Test
    void recentEventsRefuseAnUnknownTopic() {
        assertProblem(http.getForEntity("/api/events/recent?topic=topic4", Map.class), 400, "Unknown topic");
        assertProblem(http.getForEntity("/api/events/recent", Map.class), 400, "Missing topic");
    }

    @Test
    void recentEventsRefuseALimitOutOfRange() {
        for (String limit : List.of("0", "101", "-1", "ten", "1e2", "99999999999")) {
            assertProblem(http.getForEntity("/api/events/recent?topic=topic1&limit=" + limit, Map.class), 400, "Invalid limit");
        }
    }

    @Test
    void sqlInATopicOrALimitIsRefusedAsAProblem() {
        assertProblem(http.getForEntity(URI.create(base() + "/api/events/recent?topic=topic1%3BDROP%20TABLE%20topic1&limit=5"), Map.class),
                400, "Unknown topic");
        assertProblem(http.getForEntity(URI.create(base() + "/api/events/recent?topic=topic1&limit=5%3BDROP%20TABLE%20topic1"), Map.class),
                400, "Invalid limit");
    }

    @Test
    void anActiveEventIsTracedThroughTopic2ThenTopic3() {
        postEvents("{\"eventType\":\"activeEvent\"}");
        await().atMost(Duration.ofSeconds(20)).until(() -> rows("topic3") == 1);
        String id = jdbc.queryForObject("SELECT event_id::text FROM topic3", String.class);

        ResponseEntity<Map> answer = http.getForEntity("/api/events/" + id, Map.class);

        assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(answer.getBody()).containsEntry("eventId", id).containsEntry("eventType", "activeEvent")
                .containsEntry("path", List.of("topic2", "topic3"));
        List<Map<String, Object>> stages = (List) answer.getBody().get("stages");
        assertThat(stages).extracting(stage -> stage.get("route")).containsExactly("service1-topic2", "service2-topic3");
        assertThat((String) stages.get(1).get("secretWord")).matches("[a-z]+");
        assertThat(stages.get(0)).doesNotContainKey("secretWord");
    }

    @Test
    void aMalformedEventIdIsABadRequest() {
        assertProblem(http.getForEntity("/api/events/not-a-uuid", Map.class), 400, "Malformed event id");
        assertProblem(http.getForEntity(URI.create(base() + "/api/events/1'%20OR%20'1'='1"), Map.class), 400, "Malformed event id");
    }

    @Test
    void anUnknownEventIsNotFound() {
        assertProblem(http.getForEntity("/api/events/" + UUID.randomUUID(), Map.class), 404, "Unknown event");
    }

    @Test
    void theStreamPushesAMetricsSnapshotAsAServerSentEvent() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<java.io.InputStream> response = client.send(
                HttpRequest.newBuilder(URI.create(base() + "/api/metrics/stream")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            assertThat(lines.readLine()).isEqualTo("event:metrics");
            String data;
            do {
                data = lines.readLine();
            } while (data != null && !data.startsWith("data:"));
            assertThat(data).contains("\"topics\"").contains("\"queues\"").contains("\"generatedAt\"");
        }
    }

    @Test
    void theDashboardAndItsChartLibraryAreServedFromTheApp() {
        ResponseEntity<String> page = http.getForEntity("/", String.class);
        assertThat(page.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(page.getBody()).contains("/webjars/uplot/1.6.30/dist/uPlot.iife.min.js").contains("app.js");
        assertThat(http.getForEntity("/webjars/uplot/1.6.30/dist/uPlot.iife.min.js", String.class).getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(http.getForEntity("/app.js", String.class).getStatusCode()).isEqualTo(HttpStatus.OK);
    }

    private long count(String topic) {
        Map<String, Map<String, Object>> topics = (Map) http.getForEntity("/api/metrics", Map.class).getBody().get("topics");
        return ((Number) topics.get(topic).get("count")).longValue();
    }

    private String base() {
        return "http://127.0.0.1:" + port;
    }

    private static void assertProblem(ResponseEntity<Map> answer, int status, String title) {
        assertThat(answer.getStatusCode().value()).isEqualTo(status);
        assertThat(answer.getHeaders().getContentType()).isEqualTo(PROBLEM);
        assertThat(answer.getBody()).containsOnlyKeys("type", "title", "status", "detail")
                .containsEntry("title", title).containsEntry("status", status);
        assertThat(answer.getBody().toString()).doesNotContain("Exception").doesNotContain("\tat ");
    }
}
