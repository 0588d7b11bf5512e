package io.eventflow.processing;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.service.ServiceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Gathers the messages a consumer receives into one batch (the body, a list of {@link Delivery}), so a batch is
 * stored in one transaction; then acknowledges each of them, and only then. A batch that fails for good is taken
 * apart into batches of one, so a poison message sinks no other.
 */
@Component
public class DeliveryBatch implements AggregationStrategy {

    /** The exchange property holding the deliveries of the batch a store route is working on. */
    public static final String DELIVERIES = "deliveries";
    /** The exchange property naming the consumer route a batch came from, which {@link ConsumerPause} pauses. */
    public static final String CONSUMER_ROUTE = "consumerRoute";
    /** The exchange property holding the create_date of each event of the batch (EventColumns), for the stored timer. */
    static final String CREATE_DATES = "createDates";

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryBatch.class);

    private final Map<String, Timer> stored = new ConcurrentHashMap<>();
    private final CreateDates createDates = new CreateDates();
    private MeterRegistry meters;

    /** {@code eventflow_event_stored_seconds{topic}}: from each event's create_date to its batch's commit. */
    @Autowired(required = false)
    public void setMeters(MeterRegistry meters) {
        this.meters = meters;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Exchange aggregate(Exchange batch, Exchange consumed) {
        if (batch == null) {
            batch = new DefaultExchange(consumed.getContext());
            batch.getMessage().setBody(new ArrayList<Delivery>());
            batch.setProperty(CONSUMER_ROUTE, consumed.getFromRouteId());
        }
        batch.getMessage().getBody(List.class).add(Delivery.of(consumed));
        return batch;
    }

    /** Acknowledges every delivery of the batch, after its rows were committed. */
    public void ack(Exchange exchange) {
        recordStored(exchange);
        int lost = Delivery.ack(deliveries(exchange));
        if (lost > 0) {
            // Its channel closed since the delivery: the broker delivers it again and the insert ignores the copy.
            LOG.debug("{} deliveries could not be acknowledged on a closed channel; they will be redelivered", lost);
        }
    }

    /**
     * Sends each delivery of a batch that failed through the route that failed again, alone, as an exchange of its
     * own: it is stored, or fails alone and is dead-lettered by that route's error handler.
     */
    public void retryOneByOne(Exchange failed) {
        String routeId = failed.getProperty(Exchange.FAILURE_ROUTE_ID, String.class);
        Endpoint route = failed.getContext().getRoute(routeId).getEndpoint();
        Exception cause = failed.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        LOG.warn("A batch of {} messages failed in {} ({}); storing each of them on its own",
                deliveries(failed).size(), routeId, cause == null ? "unknown" : cause.getMessage());
        Object consumer = failed.getProperty(CONSUMER_ROUTE);
        ProducerTemplate producer = failed.getContext().createProducerTemplate();
        try {
            for (Delivery delivery : deliveries(failed)) {
                producer.send(route, single -> {
                    single.setProperty(CONSUMER_ROUTE, consumer);
                    single.getMessage().setBody(List.of(delivery));
                });
            }
        } finally {
            ServiceHelper.stopService(producer);
        }
    }

    /** Each event's time from created to committed, per topic, as a histogram (percentiles and alerts in Prometheus). */
    private void recordStored(Exchange exchange) {
        String[] created = exchange.getProperty(CREATE_DATES, String[].class);
        List<Delivery> deliveries = deliveries(exchange);
        if (meters == null || created == null || deliveries.isEmpty()) {
            return;
        }
        Timer timer = stored.computeIfAbsent(String.valueOf(deliveries.get(0).routingKey()), topic -> Timer.builder("eventflow.event.stored")
                .tag("topic", topic).description("time from an event's create_date to the commit of the batch that stored it")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10))
                .register(meters));
        long now = System.currentTimeMillis();
        for (String date : created) {
            try {
                timer.record(Math.max(0, now - createDates.epochMillis(date)), TimeUnit.MILLISECONDS);
            } catch (DateTimeParseException e) {
                // A create_date PostgreSQL accepted but Instant cannot read (an offset other than Z): no sample.
            }
        }
    }

    @SuppressWarnings("unchecked")
    static List<Delivery> deliveries(Exchange exchange) {
        return exchange.getProperty(DELIVERIES, List.class);
    }
}
