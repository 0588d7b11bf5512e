package io.eventflow.processing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.springframework.stereotype.Component;

/**
 * The rows of a batch as one array per column: the parameters of a single
 * {@code INSERT ... SELECT * FROM unnest(...)} that stores the whole batch in one statement, parsed once.
 * Values travel as text and are cast to their column types in the SQL.
 */
@Component
public class EventColumns {

    private static final List<String> COLUMNS =
            List.of("eventId", "eventType", "batchId", "createDate", "processedDate", "eventData", "secretWord");

    public Map<String, String[]> of(List<Map<String, Object>> rows) {
        Map<String, String[]> columns = new HashMap<>();
        for (String column : COLUMNS) {
            if (rows.get(0).containsKey(column)) {
                String[] values = new String[rows.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = String.valueOf(rows.get(i).get(column));
                }
                columns.put(column, values);
            }
        }
        return columns;
    }
}
