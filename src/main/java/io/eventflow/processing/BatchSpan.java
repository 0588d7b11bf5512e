package io.eventflow.processing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.eventflow.tracing.MessageTracing;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.springframework.stereotype.Component;

/**
 * Hands a consumer batch to its store route; with tracing on, inside one span of the batch's own, started with a link
 * to each of its messages' producer spans, so Camel's span of the store route (its INSERT, a republish) is its child.
 */
@Component
public class BatchSpan {

    private final MessageTracing tracing;
    private final CamelContext camel;
    private final ProducerTemplate producer;
    // Resolved once per store route: sending by URI normalises it on every batch.
    private final Map<String, Endpoint> stores = new ConcurrentHashMap<>();

    public BatchSpan(MessageTracing tracing, CamelContext camel) {
        this.tracing = tracing;
        this.camel = camel;
        this.producer = camel.createProducerTemplate();
    }

    /** Sends the batch to {@code store} (a direct endpoint), as the route's {@code to} would, in the batch's span. */
    public void store(Exchange batch, String store) {
        Endpoint endpoint = stores.computeIfAbsent(store, camel::getEndpoint);
        if (!tracing.enabled()) {
            producer.send(endpoint, batch);
            return;
        }
        List<Delivery> deliveries = batch.getMessage().getBody(List.class);
        List<String> producers = new ArrayList<>(deliveries.size());
        for (Delivery delivery : deliveries) {
            producers.add(delivery.traceparent());
        }
        try (MessageTracing.Scope span = tracing.consuming(deliveries.get(0).routingKey(), producers, batch::getException)) {
            producer.send(endpoint, batch);
        }
    }
}
