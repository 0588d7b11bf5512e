package io.eventflow.config;

import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import io.eventflow.pipeline.Topic;

/**
 * What one Eventflow process does ({@code eventflow.roles}, env {@code EVENTFLOW_ROLES}, default all four): the
 * route files it loads, the topics it consumes and so the queues it declares. The original demo's four services are one
 * property away. The topics themselves, with their queues, tables and routes, are modelled once by {@link Topic}.
 */
public enum Role {
    /** The HTTP ingest: validates, publishes to topic1 and topic2. */
    INGEST(List.of("ingest.camel.yaml", "errors.camel.yaml"), List.of(), List.of("ingest-events")),
    /** Consumes topic1 and topic2, stores them, republishes topic2's events to topic3. */
    SERVICE1(List.of("consumers.camel.yaml", "service1.camel.yaml", "DeadLetterWatch.java"), List.of(Topic.TOPIC1, Topic.TOPIC2),
            List.of("dead-letter")),
    /** Consumes topic3 and stores it with the decrypted secret word. */
    SERVICE2(List.of("consumers.camel.yaml", "service2.camel.yaml", "DeadLetterWatch.java"), List.of(Topic.TOPIC3),
            List.of("dead-letter")),
    /** The dashboard's API and static page. */
    DASHBOARD(List.of("dashboard-api.camel.yaml", "errors.camel.yaml"), List.of(),
            List.of("dashboard-metrics", "dashboard-series", "dashboard-recent-events", "dashboard-event-trace"));

    private final List<String> routeFiles;
    private final List<Topic> consumes;
    private final List<String> ownRoutes;

    Role(List<String> routeFiles, List<Topic> consumes, List<String> ownRoutes) {
        this.routeFiles = routeFiles;
        this.consumes = consumes;
        this.ownRoutes = ownRoutes;
    }

    /**
     * Of {@code required} (eventflow.required-routes), the route ids these roles must run: those of the roles not run
     * are left out, any other id (a user's own route) stays.
     */
    public static Set<String> requiredRoutes(List<String> required, Set<Role> roles) {
        Set<String> result = new LinkedHashSet<>(required);
        EnumSet.complementOf(EnumSet.copyOf(roles)).forEach(other -> result.removeAll(other.routes()));
        roles.forEach(role -> role.routes().stream().filter(required::contains).forEach(result::add));
        return result;
    }

    public List<String> routeFiles() {
        return routeFiles;
    }

    /** The topics the role publishes to: the ingest's, or those the topics it consumes feed. */
    public List<Topic> publishes() {
        return this == INGEST ? Topic.ingested() : consumes.stream().flatMap(topic -> topic.feeds().stream()).toList();
    }

    /** The queues the role publishes to or consumes (each with its {@code .dlq}), in pipeline order. */
    public List<String> queues() {
        List<Topic> publishes = publishes();
        return Stream.of(Topic.values()).filter(topic -> consumes.contains(topic) || publishes.contains(topic)).map(Topic::queue).toList();
    }

    /** The routes the role runs: the store routes of the topics it consumes, and its own. */
    private List<String> routes() {
        return Stream.concat(consumes.stream().map(Topic::route), ownRoutes.stream()).toList();
    }

    /** Roles that read or write the event tables: the database and its migrations matter to them. */
    public static boolean needDatabase(Set<Role> roles) {
        return roles.contains(SERVICE1) || roles.contains(SERVICE2) || roles.contains(DASHBOARD);
    }

    public static Set<Role> all() {
        return EnumSet.allOf(Role.class);
    }
}
