package io.eventflow.processing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.springframework.stereotype.Component;

/**
 * Reads an event message from a queue into the row a consumer stores: {@code eventId}, {@code eventType},
 * {@code batchId}, {@code createDate}, {@code eventData} (the message as received) and, when present,
 * {@code secretValue}; {@code event} holds the parsed message for the steps after the insert. A message that is
 * not such an event is poison.
 */
@Component
public class EventReader {

    private final ObjectMapper json = new ObjectMapper();

    /** The rows of a batch, in the order of its deliveries; any message that is not such an event fails the batch. */
    public List<Map<String, Object>> readAll(List<Delivery> deliveries, String expectedType) {
        List<Map<String, Object>> rows = new ArrayList<>(deliveries.size());
        for (Delivery delivery : deliveries) {
            rows.add(read(new String(delivery.body(), StandardCharsets.UTF_8), expectedType));
        }
        return rows;
    }

    Map<String, Object> read(String message, String expectedType) {
        JsonNode event;
        try {
            event = json.readTree(message);
        } catch (IOException e) {
            throw new PoisonMessageException("not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (event == null || !event.isObject()) {
            throw new PoisonMessageException("not a JSON object");
        }
        String eventType = text(event, "eventType");
        if (!expectedType.equals(eventType)) {
            throw new PoisonMessageException("unexpected eventType '" + eventType + "', this queue carries " + expectedType);
        }
        Map<String, Object> row = new HashMap<>();
        row.put("eventId", uuid(event, "eventId"));
        row.put("eventType", eventType);
        row.put("batchId", uuid(event, "batchId"));
        row.put("createDate", text(event, "create_date"));
        row.put("eventData", message);
        row.put("event", event);
        if (event.hasNonNull("secretValue")) {
            row.put("secretValue", text(event, "secretValue"));
        }
        return row;
    }

    private static String text(JsonNode event, String field) {
        JsonNode value = event.get(field);
        if (value == null || !value.isTextual()) {
            throw new PoisonMessageException("field " + field + " is missing or not a string");
        }
        return value.textValue();
    }

    private static UUID uuid(JsonNode event, String field) {
        try {
            return UUID.fromString(text(event, field));
        } catch (IllegalArgumentException e) {
            throw new PoisonMessageException("field " + field + " is not a UUID");
        }
    }

}
