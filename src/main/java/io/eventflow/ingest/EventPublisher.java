package io.eventflow.ingest;

import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import io.eventflow.api.ApiHttpEngine;
import io.eventflow.api.ProblemException;
import io.eventflow.config.EventflowProperties;
import io.eventflow.infra.ConfirmedPublisher;
import io.eventflow.tracing.MessageTracing;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Publishes one request's event messages to its topic and waits for all their confirms together, within two bounds:
 * at most {@code eventflow.ingest.max-in-flight-events} events of all requests wait for confirms at once, and a
 * request is done by {@code eventflow.ingest.request-timeout-ms} after it arrived. Past either, the request is refused
 * as busy before anything is published. A request's events count until each has left Eventflow's memory: confirmed,
 * refused, withdrawn unsent at the deadline, or (sent without a confirm by then) answered for by the broker later.
 */
@Component
public class EventPublisher implements Processor {

    private final ConfirmedPublisher broker;
    private final int maxInFlight;
    private final Semaphore inFlight;
    private final long requestTimeoutMs;
    private final Counter busyInFlight;
    private final Counter busyDeadline;
    private MessageTracing tracing = MessageTracing.OFF;

    public EventPublisher(ConfirmedPublisher broker, EventflowProperties properties, MeterRegistry meters) {
        this.broker = broker;
        this.maxInFlight = properties.ingest().maxInFlightEvents();
        this.inFlight = new Semaphore(maxInFlight);
        this.requestTimeoutMs = properties.ingest().requestTimeoutMs();
        this.busyInFlight = busyCounter(meters, "in-flight");
        this.busyDeadline = busyCounter(meters, "deadline");
    }

    @Autowired(required = false)
    public void setTracing(MessageTracing tracing) {
        this.tracing = tracing;
    }

    /** The broker's outcome for {@code messages}; throws the busy problem when they cannot be taken on now. */
    public ConfirmedPublisher.Outcome publish(String topic, List<byte[]> messages, Exchange exchange) {
        long leftMs = requestTimeoutMs - waitedMs(exchange);
        if (leftMs <= 0) {
            busyDeadline.increment();
            throw ProblemException.busy("the request waited " + waitedMs(exchange) + " ms for a thread, past its deadline of "
                    + requestTimeoutMs + " ms");
        }
        int events = messages.size();
        if (!inFlight.tryAcquire(events)) {
            busyInFlight.increment();
            throw ProblemException.busy((maxInFlight - inFlight.availablePermits()) + " events are waiting for the broker's confirm, "
                    + "and this request's " + events + " would pass the bound of " + maxInFlight);
        }
        ConfirmedPublisher.Outcome outcome;
        try {
            outcome = broker.publish(topic, messages, leftMs);
        } catch (RuntimeException | Error e) {
            inFlight.release(events);
            throw e;
        }
        // Messages sent without a confirm by the deadline still take memory until the broker answers for them.
        outcome.settled().whenComplete((done, failed) -> inFlight.release(events));
        return outcome;
    }

    /** The route's step: the messages of the body to the queue of property {@code topic}; the body becomes the outcome. */
    @Override
    public void process(Exchange exchange) {
        @SuppressWarnings("unchecked")
        List<byte[]> messages = exchange.getIn().getBody(List.class);
        // With tracing on, the publish is a child of the request's span.
        try (MessageTracing.Scope span = tracing.inCamelSpan(exchange)) {
            exchange.getIn().setBody(publish(exchange.getProperty("topic", String.class), messages, exchange));
        }
    }

    /** Events waiting for their confirm right now (or for a late one), all requests together. */
    public int eventsInFlight() {
        return maxInFlight - inFlight.availablePermits();
    }

    private static long waitedMs(Exchange exchange) {
        Long arrived = exchange.getProperty(ApiHttpEngine.ARRIVED_AT, Long.class);
        return arrived == null ? 0 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - arrived);
    }

    private static Counter busyCounter(MeterRegistry meters, String reason) {
        return Counter.builder("eventflow.api.busy").tag("reason", reason)
                .description("requests refused because Eventflow was busy").register(meters);
    }
}
