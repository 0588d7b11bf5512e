package io.eventflow.dashboard;

import java.util.Arrays;
import java.util.stream.Collectors;

import io.eventflow.api.ProblemException;
import io.eventflow.pipeline.Topic;

/**
 * The event tables the dashboard reads: those of the {@link Topic}s. A topic named in a request is only ever a key into
 * that list: no SQL is built from input, only from the model's constants.
 */
final class EventTable {

    static final String NAMES = Arrays.stream(Topic.values()).map(Topic::table).collect(Collectors.joining(", "));

    private EventTable() {
    }

    static Topic require(String topic) {
        if (topic == null || topic.isBlank()) {
            throw new ProblemException(400, "Missing topic", "give topic, one of " + NAMES);
        }
        return Topic.named(topic).orElseThrow(() -> new ProblemException(400, "Unknown topic", "topic must be one of " + NAMES));
    }
}
