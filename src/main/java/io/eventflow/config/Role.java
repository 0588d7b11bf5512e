package io.eventflow.config;

import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What one Eventflow process does ({@code eventflow.roles}, env {@code EVENTFLOW_ROLES}, default all four): the
 * route files it loads and the queues it declares. The original demo's four services are one property away.
 */
public enum Role {
    /** The HTTP ingest: validates, publishes to topic1 and topic2. */
    INGEST(List.of("ingest.camel.yaml", "errors.camel.yaml"), List.of("topic1", "topic2"), List.of("ingest-events")),
    /** Consumes topic1 and topic2, stores them, republishes topic2's events to topic3. */
    SERVICE1(List.of("consumers.camel.yaml", "service1.camel.yaml", "DeadLetterWatch.java"), List.of("topic1", "topic2", "topic3"),
            List.of("service1-topic1", "service1-topic2", "dead-letter")),
    /** Consumes topic3 and stores it with the decrypted secret word. */
    SERVICE2(List.of("consumers.camel.yaml", "service2.camel.yaml", "DeadLetterWatch.java"), List.of("topic3"), List.of("service2-topic3", "dead-letter")),
    /** The dashboard's API and static page. */
    DASHBOARD(List.of("dashboard-api.camel.yaml", "errors.camel.yaml"), List.of(),
            List.of("dashboard-metrics", "dashboard-series", "dashboard-recent-events", "dashboard-event-trace"));

    private final List<String> routeFiles;
    private final List<String> queues;
    private final List<String> routes;

    Role(List<String> routeFiles, List<String> queues, List<String> routes) {
        this.routeFiles = routeFiles;
        this.queues = queues;
        this.routes = routes;
    }

    /**
     * Of {@code required} (eventflow.required-routes), the route ids these roles must run: those of the roles not run
     * are left out, any other id (a user's own route) stays.
     */
    public static Set<String> requiredRoutes(List<String> required, Set<Role> roles) {
        Set<String> result = new LinkedHashSet<>(required);
        EnumSet.complementOf(EnumSet.copyOf(roles)).forEach(other -> result.removeAll(other.routes));
        roles.forEach(role -> role.routes.stream().filter(required::contains).forEach(result::add));
        return result;
    }

    public List<String> routeFiles() {
        return routeFiles;
    }

    /** The queues the role publishes to or consumes (each with its {@code .dlq}). */
    public List<String> queues() {
        return queues;
    }

    /** Roles that read or write the event tables: the database and its migrations matter to them. */
    public static boolean needDatabase(Set<Role> roles) {
        return roles.contains(SERVICE1) || roles.contains(SERVICE2) || roles.contains(DASHBOARD);
    }

    public static Set<Role> all() {
        return EnumSet.allOf(Role.class);
    }
}
