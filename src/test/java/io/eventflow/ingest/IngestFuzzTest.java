package io.eventflow.ingest;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.support.EventflowIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A bounded fuzz of the ingest body: random JSON shapes, types, byte sequences, sizes, media types and encodings.
 * Never a 5xx, every refusal a problem body, and exactly the events the 202 answers accepted are stored: nothing of a
 * refused request is published. The seed is in the failure message, to replay a failing run.
 */
class IngestFuzzTest extends EventflowIntegrationTest {

    private static final int REQUESTS = 1000;
    private static final List<String> KEYS = List.of("eventType", "count", "eventType", "count", "extra", "", "eventtype", "\u0000", "é");
    private static final List<String> TYPES = List.of("passiveEvent", "activeEvent", "actionEvent", "PassiveEvent", "", "passive\u0000Event",
            "passiveEvent ", "\uD83D\uDE00", "x".repeat(300));
    private static final List<String> MEDIA_TYPES = List.of("application/json", "application/json", "application/json; charset=utf-8",
            "application/vnd.x+json", "text/plain", "application/json; charset=iso-8859-1", "multipart/form-data", "*/*");

    @LocalServerPort
    int port;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void noBodyMakesA5xxOrPublishesWhatWasRefused() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        long passive = 0;
        long active = 0;
        for (int i = 0; i < REQUESTS; i++) {
            byte[] body = mutate(random, value(random, 0).getBytes(StandardCharsets.UTF_8));
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + (random.nextBoolean() ? "/api/events" : "/events")))
                    .timeout(Duration.ofSeconds(30));
            if (random.nextInt(10) > 0) {
                request.header("Content-Type", MEDIA_TYPES.get(random.nextInt(MEDIA_TYPES.size())));
            }
            if (random.nextInt(15) == 0) {
                request.header("Content-Encoding", "gzip");
                body = gzip(body);
            }
            HttpResponse<byte[]> answer = client.send(request.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            String what = "seed " + seed + ", request " + i + ": " + new String(body, StandardCharsets.UTF_8) + " -> " + answer.statusCode()
                    + " " + new String(answer.body(), StandardCharsets.UTF_8);

            assertThat(answer.statusCode()).as(what).isIn(202, 400, 411, 413, 415);
            if (answer.statusCode() == 202) {
                Map<?, ?> accepted = json.readValue(answer.body(), Map.class);
                long count = ((Number) accepted.get("accepted")).longValue();
                if ("topic1".equals(accepted.get("topic"))) {
                    passive += count;
                } else {
                    active += count;
                }
            } else {
                assertThat(answer.headers().firstValue("Content-Type")).as(what).hasValue("application/problem+json");
                assertThat(json.readValue(answer.body(), Map.class)).as(what).containsKeys("title", "detail").containsEntry("status", answer.statusCode());
            }
        }

        long passiveAccepted = passive;
        long activeAccepted = active;
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(rows("topic1")).as("seed " + seed).isEqualTo(passiveAccepted);
            assertThat(rows("topic3")).as("seed " + seed).isEqualTo(activeAccepted);
        });
        assertThat(rows("topic2")).isEqualTo(activeAccepted);
        assertThat(depth("topic1")).isZero();
        assertThat(depth("topic2")).isZero();
    }

    /** A random JSON text: mostly objects of event-request-like fields, any value type, nested. */
    private String value(Random random, int depth) throws Exception {
        int kind = depth > 10 ? 6 + random.nextInt(3) : random.nextInt(depth == 0 ? 4 : 10);
        switch (kind) {
            case 0, 1, 2, 3 -> {
                StringBuilder object = new StringBuilder("{");
                int fields = random.nextInt(4);
                for (int f = 0; f < fields; f++) {
                    String key = KEYS.get(random.nextInt(KEYS.size()));
                    String value = key.equals("eventType") && random.nextBoolean()
                            ? json.writeValueAsString(TYPES.get(random.nextInt(TYPES.size())))
                            : key.equals("count") && random.nextBoolean() ? number(random) : value(random, depth + 1);
                    object.append(f == 0 ? "" : ",").append(json.writeValueAsString(key)).append(':').append(value);
                }
                return object.append('}').toString();
            }
            case 4 -> {
                return "[" + value(random, depth + 1) + "," + value(random, depth + 1) + "]";
            }
            case 5, 6 -> {
                return number(random);
            }
            case 7 -> {
                return json.writeValueAsString(TYPES.get(random.nextInt(TYPES.size())));
            }
            default -> {
                return List.of("true", "false", "null", "\"\"").get(random.nextInt(4));
            }
        }
    }

    private static String number(Random random) {
        return List.of("1", "3", "0", "-1", "10000", "10001", "2.5", "1e400", "99999999999999999999", "-0", "1E2", "0x10", "NaN")
                .get(random.nextInt(13));
    }

    /** Most bodies as they are; the others cut, spliced with random bytes, made non-UTF-8, wrapped or blown up in size. */
    private static byte[] mutate(Random random, byte[] body) {
        switch (random.nextInt(12)) {
            case 0 -> {
                return java.util.Arrays.copyOf(body, random.nextInt(body.length + 1));
            }
            case 1 -> {
                byte[] spliced = body.clone();
                for (int n = 0; n < 1 + random.nextInt(4) && spliced.length > 0; n++) {
                    spliced[random.nextInt(spliced.length)] = (byte) random.nextInt(256);
                }
                return spliced;
            }
            case 2 -> {
                return (new String(body, StandardCharsets.UTF_8) + " ".repeat(16_384)).getBytes(StandardCharsets.UTF_8);
            }
            case 3 -> {
                return new String(body, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_16);
            }
            case 4 -> {
                byte[] noise = new byte[random.nextInt(64)];
                random.nextBytes(noise);
                return noise;
            }
            default -> {
                return body;
            }
        }
    }

    private static byte[] gzip(byte[] body) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
            zip.write(body);
        }
        return out.toByteArray();
    }
}
