package io.eventflow.processing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import io.eventflow.tracing.MessageTracing;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.springframework.stereotype.Component;

/**
 * The events of a batch as one array per column: the parameters of a single
 * {@code INSERT ... SELECT * FROM unnest(...)} that stores the whole batch in one statement, parsed once.
 * Values travel as text and are cast to their column types in the SQL; the keys are the SQL's parameter names.
 * {@code traceId} is always a parameter: the trace of each message's producer, null where it carries none.
 */
@Component
public class EventColumns {

    private static final Map<String, Function<Event, Object>> COLUMNS = Map.of(
            "eventId", Event::eventId,
            "eventType", Event::eventType,
            "batchId", Event::batchId,
            "createDate", Event::createDate,
            "processedDate", Event::processedDate,
            "eventData", Event::message,
            "secretWord", Event::secretWord);

    public Map<String, String[]> of(List<Event> events, @ExchangeProperty(DeliveryBatch.DELIVERIES) List<Delivery> deliveries,
            Exchange exchange) {
        Map<String, String[]> columns = new HashMap<>();
        String[] traceIds = new String[events.size()];
        for (int i = 0; i < traceIds.length && deliveries != null && i < deliveries.size(); i++) {
            traceIds[i] = MessageTracing.traceId(deliveries.get(i).traceparent());
        }
        columns.put("traceId", traceIds);
        COLUMNS.forEach((column, value) -> {
            // A column the batch's events do not have (secretWord outside topic3) is not a parameter of its insert.
            if (value.apply(events.get(0)) != null) {
                String[] values = new String[events.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = String.valueOf(value.apply(events.get(i)));
                }
                columns.put(column, values);
            }
        });
        // For the create-to-stored timer, recorded once the batch is committed (DeliveryBatch.ack).
        exchange.setProperty(DeliveryBatch.CREATE_DATES, columns.get("createDate"));
        return columns;
    }
}
