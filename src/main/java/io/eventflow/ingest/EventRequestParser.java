package io.eventflow.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.eventflow.api.ProblemException;
import io.eventflow.config.EventflowProperties;
import io.eventflow.pipeline.Topic;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.springframework.stereotype.Component;

/**
 * Turns the body of {@code POST /api/events} into the events to publish, or refuses it with a problem.
 * <p>
 * Sets exchange properties {@code eventType} (normalised), {@code batchId} and {@code eventCount}; the body becomes the
 * list of event messages, each already the JSON bytes that go to the broker:
 * {@code {"eventId","eventType","create_date","batchId"}}. A request with an {@code Idempotency-Key} gets ids derived
 * from it ({@link IdempotencyKey}), one without gets random ones; property {@code retrySafe} says which.
 */
@Component
public class EventRequestParser implements Processor {

    /** The event types of the topics the ingest publishes to (io.eventflow.pipeline.Topic): passiveEvent, activeEvent. */
    private static final List<String> EVENT_TYPES = Topic.ingested().stream().map(Topic::eventType).toList();
    private static final String EXPECTED = String.join(" or ", EVENT_TYPES);
    /** The original demo's code posted this name for active events. */
    private static final String ACTIVE_SYNONYM = "actionEvent";
    private static final String ACTIVE = "activeEvent";
    private static final int MAX_NESTING = 8;
    private static final DateTimeFormatter TO_THE_SECOND =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.").withZone(ZoneOffset.UTC);

    private final ObjectMapper strictMapper = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private final int maxCount;
    /** The current second, formatted once: a formatter per request cost 2 % of a one-event request's CPU. */
    private volatile Second second = new Second(Long.MIN_VALUE, "");

    private record Second(long epochSecond, String formatted) {
    }

    public EventRequestParser(EventflowProperties properties) {
        this.maxCount = properties.ingest().maxCount();
    }

    /**
     * The route's step: the request's Content-Type, Idempotency-Key and body in, the event messages out. A processor,
     * not a bean method the route binds: bean binding cost as much CPU as the parsing itself on a one-event request.
     */
    @Override
    public void process(Exchange exchange) {
        Message in = exchange.getIn();
        in.setBody(parse(in.getHeader(Exchange.CONTENT_TYPE, String.class), in.getHeader(IdempotencyKey.HEADER, String.class),
                in.getBody(byte[].class), exchange));
    }

    public List<byte[]> parse(String contentType, String idempotencyKey,
            byte[] body, Exchange exchange) {
        requireJson(contentType);
        String key = IdempotencyKey.validate(idempotencyKey);
        JsonNode request = readObject(body);
        String eventType = eventType(request);
        int count = count(request);
        for (Iterator<String> names = request.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("eventType") && !name.equals("count")) {
                throw new ProblemException(400, "Unknown field", "'" + name + "' is not a field of an event request; expected eventType and optional count");
            }
        }

        IdempotencyKey ids = key == null ? null : IdempotencyKey.of(key, eventType, count);
        String batchId = (ids == null ? UUID.randomUUID() : ids.batchId()).toString();
        String createDate = createDate(Instant.now());
        // Every value is a UUID, a known type name or a timestamp: plain ASCII that needs no JSON escaping.
        String rest = "\",\"eventType\":\"" + eventType + "\",\"create_date\":\"" + createDate
                + "\",\"batchId\":\"" + batchId + "\"}";
        List<byte[]> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            UUID eventId = ids == null ? UUID.randomUUID() : ids.eventId(i);
            events.add(("{\"eventId\":\"" + eventId + rest).getBytes(StandardCharsets.US_ASCII));
        }
        exchange.setProperty("retrySafe", ids != null);
        exchange.setProperty("eventType", eventType);
        exchange.setProperty("batchId", batchId);
        exchange.setProperty("eventCount", count);
        return events;
    }

    /** {@code yyyy-MM-ddTHH:mm:ss.SSSZ} in UTC, as the original demo's {@code Date.toISOString()} wrote it. */
    String createDate(Instant now) {
        Second current = second;
        if (current.epochSecond() != now.getEpochSecond()) {
            current = new Second(now.getEpochSecond(), TO_THE_SECOND.format(now));
            second = current;
        }
        int millis = now.getNano() / 1_000_000;
        return current.formatted() + (char) ('0' + millis / 100) + (char) ('0' + millis / 10 % 10) + (char) ('0' + millis % 10) + 'Z';
    }

    private static void requireJson(String contentType) {
        String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase();
        if (!mediaType.equals("application/json") && !(mediaType.startsWith("application/") && mediaType.endsWith("+json"))) {
            throw new ProblemException(415, "Unsupported media type",
                    "send the request as application/json, not " + (mediaType.isEmpty() ? "without a Content-Type" : mediaType));
        }
    }

    /** The body's bytes, read as JSON in UTF-8: a byte that is not UTF-8 makes it malformed, not replaced. */
    private JsonNode readObject(byte[] body) {
        JsonNode node;
        try (JsonParser parser = strictMapper.createParser(body == null ? new byte[0] : body)) {
            node = strictMapper.readTree(parser);
        } catch (JsonProcessingException e) {
            String reason = e.getOriginalMessage().split(" \\(start marker", 2)[0];
            String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            throw new ProblemException(400, "Malformed JSON", reason + where);
        } catch (IOException e) {
            throw new ProblemException(400, "Unreadable body", "the body could not be read as JSON");
        }
        if (node == null || node.isMissingNode()) {
            throw new ProblemException(400, "Empty body", "expected a JSON object such as {\"eventType\":\"passiveEvent\",\"count\":1}");
        }
        if (!node.isObject()) {
            throw new ProblemException(400, "Not a JSON object", "expected a JSON object such as {\"eventType\":\"passiveEvent\",\"count\":1}");
        }
        return node;
    }

    private static String eventType(JsonNode request) {
        JsonNode type = request.get("eventType");
        if (type == null || type.isNull()) {
            throw new ProblemException(400, "Missing eventType", "expected eventType " + EXPECTED);
        }
        if (!type.isTextual()) {
            throw new ProblemException(400, "Invalid eventType", "eventType must be a string: " + EXPECTED);
        }
        String eventType = ACTIVE_SYNONYM.equals(type.textValue()) ? ACTIVE : type.textValue();
        if (!EVENT_TYPES.contains(eventType)) {
            throw new ProblemException(400, "Unknown eventType", "expected " + EXPECTED);
        }
        return eventType;
    }

    private int count(JsonNode request) {
        JsonNode count = request.get("count");
        if (count == null) {
            return 1;
        }
        if (!count.isIntegralNumber() || !count.canConvertToInt() || count.intValue() < 1 || count.intValue() > maxCount) {
            throw new ProblemException(400, "Invalid count", "count must be an integer from 1 to " + maxCount);
        }
        return count.intValue();
    }
}
