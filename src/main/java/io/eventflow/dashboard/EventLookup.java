package io.eventflow.dashboard;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.eventflow.api.ProblemException;
import io.eventflow.config.EventflowProperties;
import io.eventflow.pipeline.Topic;
import io.eventflow.security.ReaderAccess;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Stored events for people: the newest rows of one table ({@code GET /api/events/recent}) and one event followed
 * through every table it reached ({@code GET /api/events/{eventId}}). A reader who may not see secrets
 * ({@link ReaderAccess}) gets {@link ReaderAccess#HIDDEN} and {@code secretWordHidden: true} instead of a secret word.
 */
@Component
public class EventLookup {

    static final int MAX_LIMIT = 100;
    private static final int DEFAULT_LIMIT = 20;
    private static final Pattern UUID_TEXT = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern DIGITS = Pattern.compile("\\d{1,4}");

    private static final Map<Topic, String> RECENT = recentQueries();

    private static final String TRACE = "SELECT * FROM (" + Arrays.stream(Topic.values())
            .map(t -> "SELECT '" + t.table() + "' AS topic, event_type, batch_id, create_date, processed_date, total_time_ms, trace_id, "
                    + (t.hasSecretWord() ? "secret_word" : "NULL::text AS secret_word")
                    + " FROM " + t.table() + " WHERE event_id = ?")
            .collect(Collectors.joining(" UNION ALL ")) + ") stages ORDER BY processed_date";

    private final JdbcTemplate jdbc;
    private final String traceUrl;

    public EventLookup(@Qualifier(DashboardDatabase.QUALIFIER) JdbcTemplate jdbc, EventflowProperties properties) {
        this.jdbc = jdbc;
        this.traceUrl = properties.dashboard().traceUrl();
    }

    public RecentEvents recent(@Header("topic") String topic, @Header("limit") String limit, Exchange exchange) {
        Topic table = EventTable.require(topic);
        int rows = limit(limit);
        boolean secrets = ReaderAccess.maySeeSecrets(exchange);
        List<RecentEvents.StoredEvent> events = DatabaseAccess.query(() -> jdbc.query(RECENT.get(table), (rs, i) -> {
            Stored stored = stored(rs, table, secrets);
            return new RecentEvents.StoredEvent(rs.getObject("event_id", UUID.class).toString(), stored.eventType(),
                    stored.batchId(), stored.createDate(), stored.processedDate(), stored.totalTimeMs(), stored.secretWord(),
                    stored.secretWordHidden());
        }, rows));
        return new RecentEvents(table.table(), rows, events);
    }

    public EventTrace trace(@Header("eventId") String eventId, Exchange exchange) {
        if (eventId == null || !UUID_TEXT.matcher(eventId).matches()) {
            throw new ProblemException(400, "Malformed event id", "an event id is a UUID such as 3f0c8a9e-6a51-4d7e-9a0e-2b1c5d4e6f70");
        }
        UUID id = UUID.fromString(eventId);
        boolean secrets = ReaderAccess.maySeeSecrets(exchange);
        List<EventTrace.Stage> stages = DatabaseAccess.query(() -> jdbc.query(TRACE, (rs, i) -> {
            Topic table = EventTable.require(rs.getString("topic"));
            Stored stored = stored(rs, table, secrets);
            String traceId = rs.getString("trace_id");
            return new EventTrace.Stage(table.table(), table.route(), stored.eventType(), stored.batchId(),
                    stored.createDate(), stored.processedDate(), stored.totalTimeMs(), stored.secretWord(),
                    stored.secretWordHidden(), traceId, traceUrl(traceId));
        }, id, id, id));
        if (stages.isEmpty()) {
            throw new ProblemException(404, "Unknown event", "no table holds event " + id + "; it may still be queued or dead-lettered");
        }
        EventTrace.Stage first = stages.get(0);
        return new EventTrace(id.toString(), first.eventType(), first.batchId(), first.createDate(),
                stages.stream().map(EventTrace.Stage::topic).toList(), stages, first.traceId(), first.traceUrl());
    }

    /** The trace in the tracing backend: {@code eventflow.dashboard.trace-url} with {@code {traceId}} filled in. */
    private String traceUrl(String traceId) {
        return traceId == null || traceUrl == null || traceUrl.isBlank() ? null : traceUrl.replace("{traceId}", traceId);
    }

    /** What every table stores of an event; {@code secretWord} is null for a table without one. */
    private record Stored(String eventType, String batchId, String createDate, String processedDate, long totalTimeMs,
            String secretWord, boolean secretWordHidden) {
    }

    private static Stored stored(ResultSet rs, Topic table, boolean secrets) throws SQLException {
        boolean hidden = table.hasSecretWord() && !secrets;
        // The word is not even read for a reader who may not see it.
        return new Stored(rs.getString("event_type"), rs.getObject("batch_id", UUID.class).toString(),
                timestamp(rs, "create_date"), timestamp(rs, "processed_date"), rs.getLong("total_time_ms"),
                hidden ? ReaderAccess.HIDDEN : table.hasSecretWord() ? rs.getString("secret_word") : null, hidden);
    }

    private static int limit(String limit) {
        if (limit == null || limit.isBlank()) {
            return DEFAULT_LIMIT;
        }
        int value = DIGITS.matcher(limit).matches() ? Integer.parseInt(limit) : -1;
        if (value < 1 || value > MAX_LIMIT) {
            throw new ProblemException(400, "Invalid limit", "limit must be an integer from 1 to " + MAX_LIMIT);
        }
        return value;
    }

    private static String timestamp(ResultSet rs, String column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant().toString();
    }

    private static Map<Topic, String> recentQueries() {
        Map<Topic, String> queries = new EnumMap<>(Topic.class);
        for (Topic t : Topic.values()) {
            queries.put(t, "SELECT event_id, event_type, batch_id, create_date, processed_date, total_time_ms"
                    + (t.hasSecretWord() ? ", secret_word" : "")
                    + " FROM " + t.table() + " ORDER BY processed_date DESC LIMIT ?");
        }
        return queries;
    }
}
