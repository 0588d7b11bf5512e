package io.eventflow.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.eventflow.api.ProblemException;
import io.eventflow.config.EventflowProperties;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventRequestParserTest {

    private static final ObjectMapper JSON = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    private final EventRequestParser parser = new EventRequestParser(defaults());
    private final Exchange exchange = new DefaultExchange(new DefaultCamelContext());

    static EventflowProperties defaults() {
        return new Binder(new MapConfigurationPropertySource(Map.of()))
                .bindOrCreate("eventflow", EventflowProperties.class);
    }

    @Test
    void buildsOneMessagePerEventSharingTheRequestsBatchAndCreateDate() {
        List<Map<String, Object>> events = read(parser.parse("application/json", null, utf8("{\"eventType\":\"passiveEvent\",\"count\":3}"), exchange));

        assertThat(events).hasSize(3);
        assertThat(events).extracting(e -> e.get("eventId")).doesNotHaveDuplicates();
        assertThat(events).extracting(e -> e.get("batchId")).containsOnly(exchange.getProperty("batchId"));
        assertThat(events).allSatisfy(e -> {
            assertThat(e).containsOnlyKeys("eventId", "eventType", "create_date", "batchId");
            assertThat(e.get("eventType")).isEqualTo("passiveEvent");
            assertThat((String) e.get("create_date")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        });
        assertThat(exchange.getProperty("eventCount")).isEqualTo(3);
    }

    @ParameterizedTest
    @CsvSource({
            "2026-12-04T09:59:59.999999999Z, 2026-12-04T09:59:59.999Z",
            "2026-12-04T10:00:00Z, 2026-12-04T10:00:00.000Z",
            "2026-12-04T10:00:00.005Z, 2026-12-04T10:00:00.005Z",
            "2026-12-04T10:00:00.059Z, 2026-12-04T10:00:00.059Z",
            "2026-12-31T23:59:59.120Z, 2026-12-31T23:59:59.120Z",
            "2027-01-01T00:00:00.999Z, 2027-01-01T00:00:00.999Z"})
    void createDateIsTheMillisecondInUtcAcrossSecondsAndYears(String instant, String expected) {
        assertThat(parser.createDate(Instant.parse(instant))).isEqualTo(expected);
    }

    @Test
    void countDefaultsToOneAndActionEventMeansActiveEvent() {
        List<Map<String, Object>> events = read(parser.parse("application/json; charset=utf-8", null, utf8("{\"eventType\":\"actionEvent\"}"), exchange));

        assertThat(events).singleElement().satisfies(e -> assertThat(e.get("eventType")).isEqualTo("activeEvent"));
        assertThat(exchange.getProperty("eventType")).isEqualTo("activeEvent");
    }

    /** The messages are the broker's bytes: each must read back as exactly one JSON object. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> read(List<byte[]> messages) {
        return messages.stream().map(bytes -> {
            try {
                return (Map<String, Object>) JSON.readValue(bytes, Map.class);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).toList();
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource(delimiter = '|', value = {
            "''                                            | 400 | Empty body",
            "{\"eventType\":\"passiveEvent\"               | 400 | Malformed JSON",
            "{\"eventType\":\"passiveEvent\"} trailing     | 400 | Malformed JSON",
            "[{\"eventType\":\"passiveEvent\"}]            | 400 | Not a JSON object",
            "\"passiveEvent\"                              | 400 | Not a JSON object",
            "{}                                            | 400 | Missing eventType",
            "{\"eventType\":null}                          | 400 | Missing eventType",
            "{\"eventType\":42}                            | 400 | Invalid eventType",
            "{\"eventType\":\"PassiveEvent\"}              | 400 | Unknown eventType",
            "{\"eventType\":\"passiveEvent\",\"count\":0}  | 400 | Invalid count",
            "{\"eventType\":\"passiveEvent\",\"count\":10001} | 400 | Invalid count",
            "{\"eventType\":\"passiveEvent\",\"count\":2.5} | 400 | Invalid count",
            "{\"eventType\":\"passiveEvent\",\"count\":\"5\"} | 400 | Invalid count",
            "{\"eventType\":\"passiveEvent\",\"count\":99999999999999999999} | 400 | Invalid count",
            "{\"eventType\":\"passiveEvent\",\"eventType\":\"activeEvent\"} | 400 | Malformed JSON",
            "{\"eventType\":\"passiveEvent\",\"extra\":1}  | 400 | Unknown field",
            "{\"eventType\":\"passiveEvent\",\"count\":[[[[[[[[[[1]]]]]]]]]]} | 400 | Malformed JSON",
    })
    void refusesWhatIsNotExactlyAnEventRequest(String body, int status, String title) {
        assertThatThrownBy(() -> parser.parse("application/json", null, utf8(body), exchange))
                .isInstanceOfSatisfying(ProblemException.class, p -> {
                    assertThat(p.status()).isEqualTo(status);
                    assertThat(p.body()).containsEntry("title", title).containsKey("detail");
                });
        assertThat(exchange.getProperties()).doesNotContainKey("batchId");
    }

    @ParameterizedTest
    @CsvSource(value = {"text/plain", "application/x-www-form-urlencoded", "''"})
    void refusesOtherMediaTypesWith415(String contentType) {
        assertThatThrownBy(() -> parser.parse(contentType, null, utf8("{\"eventType\":\"passiveEvent\"}"), exchange))
                .isInstanceOfSatisfying(ProblemException.class, p -> assertThat(p.status()).isEqualTo(415));
    }

    @Test
    void aBodyThatIsNotUtf8IsMalformedNotRepaired() {
        byte[] body = "{\"eventType\":\"passive__Event\",\"count\":1}".getBytes(StandardCharsets.US_ASCII);
        body[21] = (byte) 0xff;
        body[22] = (byte) 0xfe;

        assertThatThrownBy(() -> parser.parse("application/json", null, body, exchange))
                .isInstanceOfSatisfying(ProblemException.class, p -> {
                    assertThat(p.status()).isEqualTo(400);
                    assertThat(p.body()).containsEntry("title", "Malformed JSON");
                    assertThat(p.body().get("detail").toString()).contains("UTF-8");
                });
    }

    @ParameterizedTest
    @CsvSource(value = {"''", "'   '"})
    void anEmptyBodyIsSaidToBeEmpty(String body) {
        assertThatThrownBy(() -> parser.parse("application/json", null, utf8(body), exchange))
                .isInstanceOfSatisfying(ProblemException.class, p -> assertThat(p.body()).containsEntry("title", "Empty body"));
    }

    private static byte[] utf8(String body) {
        return body.getBytes(StandardCharsets.UTF_8);
    }
}
