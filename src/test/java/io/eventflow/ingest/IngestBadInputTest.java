package io.eventflow.ingest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import io.eventflow.support.EventflowIntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Every request that is not exactly right: its 4xx, a problem body, and nothing published. */
class IngestBadInputTest extends EventflowIntegrationTest {

    @LocalServerPort
    int port;

    @ParameterizedTest(name = "{0} {1} -> {3}")
    @CsvSource(delimiter = '|', value = {
            "/api/events | application/json | {\"eventType\":\"passiveEvent\"                         | 400 | Malformed JSON",
            "/api/events | application/json | not json                                                | 400 | Malformed JSON",
            "/api/events | application/json | [1,2]                                                   | 400 | Not a JSON object",
            "/api/events | application/json | {\"count\":3}                                            | 400 | Missing eventType",
            "/api/events | application/json | {\"eventType\":\"deleteEverything\"}                     | 400 | Unknown eventType",
            "/api/events | application/json | {\"eventType\":[\"passiveEvent\"]}                      | 400 | Invalid eventType",
            "/api/events | application/json | {\"eventType\":\"activeEvent\",\"count\":-1}            | 400 | Invalid count",
            "/api/events | application/json | {\"eventType\":\"activeEvent\",\"count\":1.5}           | 400 | Invalid count",
            "/api/events | application/json | {\"eventType\":\"activeEvent\",\"count\":10001}         | 400 | Invalid count",
            "/events     | application/json | {\"eventType\":\"activeEvent\",\"count\":\"all\"}       | 400 | Invalid count",
            "/api/events | application/json | {\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":{}}}}}}}}}} | 400 | Malformed JSON",
            "/api/events | text/plain       | {\"eventType\":\"passiveEvent\"}                        | 415 | Unsupported media type",
            "/events     | application/xml  | <eventType>passiveEvent</eventType>                     | 415 | Unsupported media type",
    })
    void badRequestGetsItsProblemAndPublishesNothing(String path, String contentType, String body, int status, String title) {
        ResponseEntity<Map> answer = postEvents(path, body, MediaType.parseMediaType(contentType));

        assertProblem(answer, status, title);
        assertNothingPublished();
    }

    @Test
    void missingContentTypeIs415() {
        ResponseEntity<Map> answer = postEvents("/api/events", "{\"eventType\":\"passiveEvent\"}", null);

        assertProblem(answer, 415, "Unsupported media type");
        assertNothingPublished();
    }

    @Test
    void oversizedBodyIs413() {
        String padding = " ".repeat(20_000);
        ResponseEntity<Map> answer = postEvents("/api/events", "{\"eventType\":\"passiveEvent\"" + padding + "}", MediaType.APPLICATION_JSON);

        assertProblem(answer, 413, "Body too large");
        assertNothingPublished();
    }

    @Test
    void chunkedBodyOfUnknownLengthIs411() throws IOException {
        String response = rawRequest("POST /api/events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + "1c\r\n{\"eventType\":\"passiveEvent\"}\r\n0\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 411").contains("application/problem+json").contains("\"title\":\"Length required\"");
        assertNothingPublished();
    }

    @Test
    void aBodyThatIsNotUtf8Is400() {
        byte[] body = "{\"eventType\":\"passive__Event\",\"count\":1}".getBytes(StandardCharsets.US_ASCII);
        body[21] = (byte) 0xff;
        body[22] = (byte) 0xfe;
        ResponseEntity<Map> answer = http.postForEntity("/api/events", new HttpEntity<>(body, jsonHeaders()), Map.class);

        assertProblem(answer, 400, "Malformed JSON");
        assertNothingPublished();
    }

    @Test
    void aCompressedBodyIs415() throws IOException {
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
            gzip.write("{\"eventType\":\"passiveEvent\",\"count\":1}".getBytes(StandardCharsets.UTF_8));
        }
        HttpHeaders headers = jsonHeaders();
        headers.set("Content-Encoding", "gzip");
        ResponseEntity<Map> answer = http.postForEntity("/api/events", new HttpEntity<>(zipped.toByteArray(), headers), Map.class);

        assertProblem(answer, 415, "Unsupported content encoding");
        assertNothingPublished();
    }

    @ParameterizedTest
    @CsvSource({"/api/%65vents", "/api/./events", "/api/x/../events"})
    void anotherSpellingOfTheIngestPathHasTheSameBodyLimit(String path) throws IOException {
        String body = "{\"eventType\":\"passiveEvent\"" + " ".repeat(20_000) + "}";
        String response = rawRequest("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body);

        assertThat(response).startsWith("HTTP/1.1 413").contains("application/problem+json").contains("\"title\":\"Body too large\"");
        assertNothingPublished();
    }

    @Test
    void noAnswerCarriesAStackTraceOrInternals() {
        ResponseEntity<String> answer = http.postForEntity("/api/events",
                new HttpEntity<>("{\"eventType\":\"passiveEvent\",\"count\":1e400}", jsonHeaders()), String.class);

        assertThat(answer.getStatusCode().value()).isEqualTo(400);
        assertThat(answer.getBody()).doesNotContain("Exception", "at io.", "at org.", "\tat ");
    }

    private static HttpHeaders jsonHeaders() {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.APPLICATION_JSON);
        return headers;
    }

    private void assertProblem(ResponseEntity<Map> answer, int status, String title) {
        assertThat(answer.getStatusCode().value()).isEqualTo(status);
        assertThat(answer.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
        assertThat(answer.getBody()).containsEntry("title", title).containsEntry("status", status).containsKey("detail");
        assertThat(answer.getBody().get("detail").toString()).isNotBlank().doesNotContain("Exception");
    }

    /** A good request after the bad one: the first and only row is its event, so the bad one published nothing. */
    private void assertNothingPublished() {
        ResponseEntity<Map> marker = postEvents("{\"eventType\":\"passiveEvent\"}");
        assertThat(marker.getStatusCode().value()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> rows("topic1") == 1);
        assertThat(rows("topic2")).isZero();
        assertThat(jdbc.queryForObject("SELECT batch_id::text FROM topic1", String.class)).isEqualTo(marker.getBody().get("batchId"));
        assertThat(depth("topic1.dlq")).isZero();
        assertThat(depth("topic2.dlq")).isZero();
    }

    private String rawRequest(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
