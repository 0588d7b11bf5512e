package io.eventflow.pipeline;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The pipeline's topics, modelled once: each is a durable queue with its dead-letter queue, the table its consumer
 * route stores it in, the event type it carries and where its events come from (the ingest, or the topic whose
 * consumer passes them on). The broker topology, the roles, the dead-letter tools, the dashboard and the tests take
 * their names from here; which process runs which part is configuration above it ({@code config/Role}). The route
 * files name the same queues, tables and route ids so that they read on their own; TopicModelTest fails when they
 * and this list drift apart.
 */
public enum Topic {
    TOPIC1("topic1", "passiveEvent", "passive events, service 1", null, "service1-topic1", false),
    TOPIC2("topic2", "activeEvent", "active events, service 1", null, "service1-topic2", false),
    TOPIC3("topic3", "activeEvent", "active events, service 2", TOPIC2, "service2-topic3", true);

    public static final String DLQ_SUFFIX = ".dlq";
    /** The queue names in pipeline order. */
    public static final List<String> QUEUES = Arrays.stream(values()).map(Topic::queue).toList();

    private final String name;
    private final String eventType;
    private final String label;
    /** The topic whose consumer passes its events on to this one; null when the ingest publishes to it. */
    private final Topic source;
    private final String route;
    private final boolean secretWord;

    Topic(String name, String eventType, String label, Topic source, String route, boolean secretWord) {
        this.name = name;
        this.eventType = eventType;
        this.label = label;
        this.source = source;
        this.route = route;
        this.secretWord = secretWord;
    }

    /** The durable queue its events wait in. */
    public String queue() {
        return name;
    }

    /** Where a message of {@link #queue()} that cannot be stored goes. */
    public String deadLetterQueue() {
        return name + DLQ_SUFFIX;
    }

    /** The table its consumer stores it in: named like the queue. */
    public String table() {
        return name;
    }

    public String eventType() {
        return eventType;
    }

    /** What a person reads beside its name: the events it carries and the service storing them. */
    public String label() {
        return label;
    }

    /** The route that stores a batch of its events. */
    public String route() {
        return route;
    }

    /** The route that consumes its queue and hands batches to {@link #route()}. */
    public String batchRoute() {
        return route + "-batch";
    }

    /** Whether its events carry a secret word (its table has column secret_word). */
    public boolean hasSecretWord() {
        return secretWord;
    }

    /** The topics its consumer passes its events on to: topic2's active events go on to topic3, sealed. */
    public List<Topic> feeds() {
        return Arrays.stream(values()).filter(next -> next.source == this).toList();
    }

    /** The topic named {@code name} (queue and table share it). */
    public static Optional<Topic> named(String name) {
        return Arrays.stream(values()).filter(topic -> topic.name.equals(name)).findFirst();
    }

    /** The topics the ingest publishes to, one per event type it accepts. */
    public static List<Topic> ingested() {
        return Arrays.stream(values()).filter(topic -> topic.source == null).toList();
    }
}
