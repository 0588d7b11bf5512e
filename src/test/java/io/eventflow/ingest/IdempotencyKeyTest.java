package io.eventflow.ingest;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.eventflow.api.ProblemException;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ids a request's Idempotency-Key gives its events, and the keys refused. */
class IdempotencyKeyTest {

    private static final String KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324";
    private static final byte[] THREE_PASSIVE = "{\"eventType\":\"passiveEvent\",\"count\":3}".getBytes(UTF_8);

    private final EventRequestParser parser = new EventRequestParser(EventRequestParserTest.defaults());

    @Test
    void theSameKeyGivesTheSameIdsOnEveryAttemptAndInEveryProcess() {
        Exchange first = exchange();
        Exchange retry = exchange();
        List<Map<String, Object>> events = EventRequestParserTest.read(parser.parse("application/json", KEY, THREE_PASSIVE, first));
        List<Map<String, Object>> again = EventRequestParserTest.read(
                new EventRequestParser(EventRequestParserTest.defaults()).parse("application/json", "\"" + KEY + "\"", THREE_PASSIVE, retry));

        assertThat(again).extracting(e -> e.get("eventId")).containsExactlyElementsOf(events.stream().map(e -> e.get("eventId")).toList())
                .doesNotHaveDuplicates();
        assertThat(retry.getProperty("batchId")).isEqualTo(first.getProperty("batchId"));
        assertThat(events).extracting(e -> e.get("batchId")).containsOnly(first.getProperty("batchId"));
        assertThat(first.getProperty("retrySafe")).isEqualTo(true);
        // Pinned: a retry sent across an upgrade of Eventflow must still name the same events.
        assertThat(events.get(0).get("eventId")).isEqualTo(
                UUID.nameUUIDFromBytes(("eventflow/1\n" + KEY + "\npassiveEvent\n3\n0").getBytes(UTF_8)).toString());
    }

    @Test
    void anotherKeyTypeOrCountNamesOtherEvents() {
        List<Object> ids = List.of(
                firstId(KEY, "{\"eventType\":\"passiveEvent\",\"count\":3}"),
                firstId(KEY.replace('8', '9'), "{\"eventType\":\"passiveEvent\",\"count\":3}"),
                firstId(KEY, "{\"eventType\":\"activeEvent\",\"count\":3}"),
                firstId(KEY, "{\"eventType\":\"passiveEvent\",\"count\":4}"));

        assertThat(ids).doesNotHaveDuplicates();
        // actionEvent is activeEvent: the same request.
        assertThat(firstId(KEY, "{\"eventType\":\"actionEvent\",\"count\":3}")).isEqualTo(ids.get(2));
    }

    @Test
    void withoutAKeyIdsAreRandomAndTheAnswerSaysARetryIsNotSafe() {
        Exchange exchange = exchange();
        Object first = EventRequestParserTest.read(parser.parse("application/json", null, THREE_PASSIVE, exchange)).get(0).get("eventId");
        Object second = EventRequestParserTest.read(parser.parse("application/json", null, THREE_PASSIVE, exchange())).get(0).get("eventId");

        assertThat(first).isNotEqualTo(second);
        assertThat(exchange.getProperty("retrySafe")).isEqualTo(false);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "short-key", "\"\"", "has a space in it ok?", "tab\tin-the-key-here", "ünïcödé-key-0123456789", "quote\"inside-the-key",
            "back\\slash-in-the-key"})
    void refusesKeysThatAreNotSixteenTo255VisibleAsciiCharacters(String key) {
        assertThatThrownBy(() -> parser.parse("application/json", key, THREE_PASSIVE, exchange()))
                .isInstanceOfSatisfying(ProblemException.class, p -> {
                    assertThat(p.status()).isEqualTo(400);
                    assertThat(p.body()).containsEntry("title", "Invalid Idempotency-Key");
                });
    }

    @Test
    void refusesAKeyLongerThan255Characters() {
        assertThat(IdempotencyKey.validate("k".repeat(255))).hasSize(255);
        assertThatThrownBy(() -> IdempotencyKey.validate("k".repeat(256))).isInstanceOf(ProblemException.class);
    }

    private Object firstId(String key, String body) {
        return EventRequestParserTest.read(parser.parse("application/json", key, body.getBytes(UTF_8), exchange())).get(0).get("eventId");
    }

    private static Exchange exchange() {
        return new DefaultExchange(new DefaultCamelContext());
    }
}
