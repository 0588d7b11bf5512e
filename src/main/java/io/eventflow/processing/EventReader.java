package io.eventflow.processing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.springframework.stereotype.Component;

/**
 * Reads an event message from a queue into the {@link Event} a consumer stores, field by field from the parsed tree (no
 * mapping by reflection on this hot path). A message that is not such an event is poison.
 */
@Component
public class EventReader {

    private final ObjectMapper json = new ObjectMapper();

    /** The events of a batch, in the order of its deliveries; any message that is not such an event fails the batch. */
    public List<Event> readAll(List<Delivery> deliveries, String expectedType) {
        List<Event> rows = new ArrayList<>(deliveries.size());
        for (Delivery delivery : deliveries) {
            rows.add(read(new String(delivery.body(), StandardCharsets.UTF_8), expectedType));
        }
        return rows;
    }

    Event read(String message, String expectedType) {
        JsonNode event;
        try {
            event = json.readTree(message);
        } catch (IOException e) {
            throw new PoisonMessageException("not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (!(event instanceof ObjectNode object)) {
            throw new PoisonMessageException("not a JSON object");
        }
        String eventType = text(event, "eventType");
        if (!expectedType.equals(eventType)) {
            throw new PoisonMessageException("unexpected eventType '" + eventType + "', this queue carries " + expectedType);
        }
        return new Event(uuid(event, "eventId"), eventType, uuid(event, "batchId"), text(event, "create_date"),
                event.hasNonNull("secretValue") ? text(event, "secretValue") : null, message, object);
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
