package io.eventflow.dashboard;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.eventflow.api.ProblemException;
import org.apache.camel.Header;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Stored events for people: the newest rows of one table ({@code GET /api/events/recent}) and one event followed
 * through every table it reached ({@code GET /api/events/{eventId}}).
 */
@Component
public class EventLookup {

    static final int MAX_LIMIT = 100;
    private static final int DEFAULT_LIMIT = 20;
    private static final Pattern UUID_TEXT = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern DIGITS = Pattern.compile("\\d{1,4}");

    private static final Map<EventTable, String> RECENT = recentQueries();

    private static final String TRACE = "SELECT * FROM (" + Arrays.stream(EventTable.values())
            .map(t -> "SELECT '" + t.table() + "' AS topic, event_type, batch_id, create_date, processed_date, total_time_ms, "
                    + (t.hasSecretWord() ? "secret_word" : "NULL::text AS secret_word")
                    + " FROM " + t.table() + " WHERE event_id = ?")
            .collect(Collectors.joining(" UNION ALL ")) + ") stages ORDER BY processed_date";

    private final JdbcTemplate jdbc;

    public EventLookup(@Qualifier(DashboardDatabase.QUALIFIER) JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public Map<String, Object> recent(@Header("topic") String topic, @Header("limit") String limit) {
        EventTable table = EventTable.require(topic);
        int rows = limit(limit);
        List<Map<String, Object>> events = DatabaseAccess.query(() -> jdbc.query(RECENT.get(table), (rs, i) -> {
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("eventId", rs.getObject("event_id", UUID.class).toString());
            return storedFields(rs, table, event);
        }, rows));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("topic", table.table());
        answer.put("limit", rows);
        answer.put("events", events);
        return answer;
    }

    public Map<String, Object> trace(@Header("eventId") String eventId) {
        if (eventId == null || !UUID_TEXT.matcher(eventId).matches()) {
            throw new ProblemException(400, "Malformed event id", "an event id is a UUID such as 3f0c8a9e-6a51-4d7e-9a0e-2b1c5d4e6f70");
        }
        UUID id = UUID.fromString(eventId);
        List<Map<String, Object>> stages = DatabaseAccess.query(() -> jdbc.query(TRACE, (rs, i) -> {
            EventTable table = EventTable.require(rs.getString("topic"));
            Map<String, Object> stage = new LinkedHashMap<>();
            stage.put("topic", table.table());
            stage.put("route", table.routeId());
            return storedFields(rs, table, stage);
        }, id, id, id));
        if (stages.isEmpty()) {
            throw new ProblemException(404, "Unknown event", "no table holds event " + id + "; it may still be queued or dead-lettered");
        }
        Map<String, Object> first = stages.get(0);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("eventId", id.toString());
        answer.put("eventType", first.get("eventType"));
        answer.put("batchId", first.get("batchId"));
        answer.put("createDate", first.get("createDate"));
        answer.put("path", stages.stream().map(s -> (String) s.get("topic")).toList());
        answer.put("stages", stages);
        return answer;
    }

    /** What every table stores of an event, in the order the answers list it. */
    private static Map<String, Object> storedFields(ResultSet rs, EventTable table, Map<String, Object> into) throws SQLException {
        into.put("eventType", rs.getString("event_type"));
        into.put("batchId", rs.getObject("batch_id", UUID.class).toString());
        into.put("createDate", timestamp(rs, "create_date"));
        into.put("processedDate", timestamp(rs, "processed_date"));
        into.put("totalTimeMs", rs.getLong("total_time_ms"));
        if (table.hasSecretWord()) {
            into.put("secretWord", rs.getString("secret_word"));
        }
        return into;
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

    private static Map<EventTable, String> recentQueries() {
        Map<EventTable, String> queries = new EnumMap<>(EventTable.class);
        for (EventTable t : EventTable.values()) {
            queries.put(t, "SELECT event_id, event_type, batch_id, create_date, processed_date, total_time_ms"
                    + (t.hasSecretWord() ? ", secret_word" : "")
                    + " FROM " + t.table() + " ORDER BY processed_date DESC LIMIT ?");
        }
        return queries;
    }
}
