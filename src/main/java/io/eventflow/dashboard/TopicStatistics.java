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
import io.eventflow.pipeline.Topic;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * What the event tables hold, at a cost that does not grow with their history: exact counts from the
 * {@code event_counts} counters (kept by triggers, see db/V2), latency percentiles and rate from the newest rows of
 * a recent window, found through the {@code processed_date} index.
 */
@Component
public class TopicStatistics {

    // One statement for the counts and all three windows: one round trip, one consistent snapshot.
    private static final String STATISTICS = "WITH counts AS (SELECT topic, sum(rows)::bigint AS rows FROM event_counts GROUP BY topic)"
            + " SELECT w.*, coalesce(counts.rows, 0) AS count FROM (" + Arrays.stream(Topic.values())
            .map(t -> "SELECT '" + t.table() + "' AS topic, count(*) AS n, avg(total_time_ms)::float8 AS avg_ms,"
                    + " percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY total_time_ms) AS pct,"
                    + " count(*) FILTER (WHERE processed_date > ?) AS recent"
                    + " FROM (SELECT total_time_ms, processed_date FROM " + t.table()
                    + " WHERE processed_date > ? ORDER BY processed_date DESC LIMIT ?) w")
            .collect(Collectors.joining(" UNION ALL ")) + ") w LEFT JOIN counts USING (topic)";

    /**
     * One table: its exact row count, then latency and rate over the window (the percentiles are null when no row
     * falls in it).
     */
    public record Statistics(long count, long windowRows, Double avgMs, Double p50Ms, Double p95Ms, Double p99Ms,
            double ratePerSec) {
    }

    private final JdbcTemplate jdbc;
    private final Duration window;
    private final Duration rateWindow;
    private final int maxRows;

    public TopicStatistics(@Qualifier(DashboardDatabase.QUALIFIER) JdbcTemplate jdbc, EventflowProperties properties) {
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

    public Map<Topic, Statistics> read(Instant now) {
        OffsetDateTime windowStart = OffsetDateTime.ofInstant(now.minus(window), ZoneOffset.UTC);
        OffsetDateTime rateStart = OffsetDateTime.ofInstant(now.minus(rateWindow), ZoneOffset.UTC);
        Object[] parameters = new Object[Topic.values().length * 3];
        for (int i = 0; i < Topic.values().length; i++) {
            parameters[i * 3] = rateStart;
            parameters[i * 3 + 1] = windowStart;
            parameters[i * 3 + 2] = maxRows;
        }
        Map<Topic, Statistics> statistics = new EnumMap<>(Topic.class);
        double rateSeconds = rateWindow.toMillis() / 1000.0;
        jdbc.query(STATISTICS, rs -> {
            Double[] pct = percentiles(rs.getArray("pct"));
            statistics.put(EventTable.require(rs.getString("topic")), new Statistics(
                    rs.getLong("count"), rs.getLong("n"), rounded(rs.getObject("avg_ms", Double.class)),
                    pct[0], pct[1], pct[2], rounded(rs.getLong("recent") / rateSeconds)));
        }, parameters);
        return statistics;
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
