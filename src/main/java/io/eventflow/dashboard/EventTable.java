package io.eventflow.dashboard;

import java.util.Arrays;
import java.util.stream.Collectors;

import io.eventflow.api.ProblemException;

/**
 * The three event tables the dashboard reads, and the route that fills each. A topic named in a request is only
 * ever a key into this list: no SQL is built from input, only from these constants.
 */
enum EventTable {
    TOPIC1("topic1", "service1-topic1", false),
    TOPIC2("topic2", "service1-topic2", false),
    TOPIC3("topic3", "service2-topic3", true);

    static final String NAMES = Arrays.stream(values()).map(EventTable::table).collect(Collectors.joining(", "));

    private final String table;
    private final String routeId;
    private final boolean hasSecretWord;

    EventTable(String table, String routeId, boolean hasSecretWord) {
        this.table = table;
        this.routeId = routeId;
        this.hasSecretWord = hasSecretWord;
    }

    String table() {
        return table;
    }

    String routeId() {
        return routeId;
    }

    boolean hasSecretWord() {
        return hasSecretWord;
    }

    static EventTable require(String topic) {
        if (topic == null || topic.isBlank()) {
            throw new ProblemException(400, "Missing topic", "give topic, one of " + NAMES);
        }
        for (EventTable table : values()) {
            if (table.table.equals(topic)) {
                return table;
            }
        }
        throw new ProblemException(400, "Unknown topic", "topic must be one of " + NAMES);
    }
}
