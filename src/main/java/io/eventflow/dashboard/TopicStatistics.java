package io.eventflow.dashboard;

import java.sql.Array;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Collectors;

import io.eventflow.config.EventflowProperties;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * What the event tables hold, at a cost that does not grow with their history: exact counts from the
 * {@code event_counts} counters (kept by triggers, see db/V2), latency percentiles and rate from the newest rows of
 * a recent window, found through the {@code processed_date} index.
 */
@Component
public class TopicStatistics {

    private static final String COUNTS = "SELECT topic, sum(rows) AS rows FROM event_counts GROUP BY topic";

    // One statement for all three tables: one round trip, one snapshot.
    private static final String WINDOW = Arrays.stream(EventTable.values())
            .map(t -> "SELECT '" + t.table() + "' AS topic, count(*) AS n, avg(total_time_ms)::float8 AS avg_ms,"
                    + " percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY total_time_ms) AS pct,"
                    + " count(*) FILTER (WHERE processed_date > ?) AS recent"
                    + " FROM (SELECT total_time_ms, processed_date FROM " + t.table()
                    + " WHERE processed_date > ? ORDER BY processed_date DESC LIMIT ?) w")
            .collect(Collectors.joining(" UNION ALL "));

    /** Latency and rate of one table over the window; the percentiles are null when no row falls in it. */
    public record Window(long rows, Double avgMs, Double p50Ms, Double p95Ms, Double p99Ms, double ratePerSec) {
    }

    private final JdbcTemplate jdbc;
    private final Duration window;
    private final Duration rateWindow;
    private final int maxRows;

    public TopicStatistics(JdbcTemplate jdbc, EventflowProperties properties) {
        this.jdbc = jdbc;
        this.window = properties.dashboard().statsWindow();
        this.rateWindow = properties.dashboard().rateWindow();
        this.maxRows = properties.dashboard().statsMaxRows();
    }

    public Duration window() {
        return window;
    }

    public Duration rateWindow() {
        return rateWindow;
    }

    /** Exact row count of each table. */
    public Map<EventTable, Long> counts() {
        Map<EventTable, Long> counts = new EnumMap<>(EventTable.class);
        for (EventTable table : EventTable.values()) {
            counts.put(table, 0L);
        }
        jdbc.query(COUNTS, rs -> {
            counts.put(EventTable.require(rs.getString("topic")), rs.getLong("rows"));
        });
        return counts;
    }

    public Map<EventTable, Window> windows(Instant now) {
        OffsetDateTime windowStart = OffsetDateTime.ofInstant(now.minus(window), ZoneOffset.UTC);
        OffsetDateTime rateStart = OffsetDateTime.ofInstant(now.minus(rateWindow), ZoneOffset.UTC);
        Object[] parameters = new Object[EventTable.values().length * 3];
        for (int i = 0; i < EventTable.values().length; i++) {
            parameters[i * 3] = rateStart;
            parameters[i * 3 + 1] = windowStart;
            parameters[i * 3 + 2] = maxRows;
        }
        Map<EventTable, Window> windows = new EnumMap<>(EventTable.class);
        double rateSeconds = rateWindow.toMillis() / 1000.0;
        jdbc.query(WINDOW, rs -> {
            Double[] pct = percentiles(rs.getArray("pct"));
            windows.put(EventTable.require(rs.getString("topic")), new Window(
                    rs.getLong("n"), rounded(rs.getObject("avg_ms", Double.class)),
                    pct[0], pct[1], pct[2], rounded(rs.getLong("recent") / rateSeconds)));
        }, parameters);
        return windows;
    }

    private static Double[] percentiles(Array array) throws SQLException {
        Double[] values = new Double[3];
        if (array != null) {
            Object[] raw = (Object[]) array.getArray();
            for (int i = 0; i < values.length && i < raw.length; i++) {
                values[i] = raw[i] == null ? null : rounded(((Number) raw[i]).doubleValue());
            }
        }
        return values;
    }

    private static Double rounded(Double value) {
        return value == null ? null : Math.round(value * 10) / 10.0;
    }
}
