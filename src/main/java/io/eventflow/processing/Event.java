package io.eventflow.processing;

import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One event message as a consumer reads it from its queue, {@code {"eventId","eventType","create_date","batchId"}} and on
 * topic3 {@code "secretValue"}, with what the consumer adds before storing it: when it was processed and, on topic3, the
 * decrypted secret word. {@code message} is the message as received (the row's event_data), {@code json} the same
 * parsed once, for the republish to topic3.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Event(UUID eventId, String eventType, UUID batchId, @JsonProperty("create_date") String createDate,
        String secretValue, @JsonIgnore String message, @JsonIgnore ObjectNode json, @JsonIgnore String processedDate,
        @JsonIgnore String secretWord) {

    /** As read from a queue: not processed yet, no secret word. */
    Event(UUID eventId, String eventType, UUID batchId, String createDate, String secretValue, String message, ObjectNode json) {
        this(eventId, eventType, batchId, createDate, secretValue, message, json, null, null);
    }

    Event processedAt(String when) {
        return new Event(eventId, eventType, batchId, createDate, secretValue, message, json, when, secretWord);
    }

    Event withSecretWord(String word) {
        return new Event(eventId, eventType, batchId, createDate, secretValue, message, json, processedDate, word);
    }
}
