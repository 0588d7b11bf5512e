package io.eventflow.tracing;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import org.apache.camel.Exchange;
import org.apache.camel.tracing.ActiveSpanManager;
import org.apache.camel.tracing.SpanAdapter;
import org.springframework.amqp.core.Message;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The W3C trace context of event messages, where Camel's own tracing (camel-observation) cannot see it: Eventflow
 * publishes with its own {@code ConfirmedPublisher} and consumes in batches. A publish is one producer span whose
 * context every message of it carries in its {@code traceparent} header, and each stored row keeps that trace id. A
 * consumer batch is one span, the root of a trace of its own, with a link to each of its messages' producer spans (a
 * batch has many parents); Camel's spans of its store route, and so its INSERT and any republish, are below it.
 * <p>
 * With tracing off (the default: no {@code management.otlp.tracing.endpoint}, see {@link TracingSettings}) Spring
 * Boot's tracer is the no-op one and every method here returns at its first line.
 */
@Component
public class MessageTracing {

    /** The W3C header carrying a message's producer span. */
    public static final String TRACEPARENT = "traceparent";
    /** At most this many links per batch span (distinct producer spans), OpenTelemetry's default span limit. */
    public static final int MAX_LINKS = 128;
    /** For code built without Spring (tests): tracing off. */
    public static final MessageTracing OFF = new MessageTracing((Tracer) null, null);

    private static final TextMapGetter<String> TRACEPARENT_ONLY = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(String carrier) {
            return List.of(TRACEPARENT);
        }

        @Override
        public String get(String carrier, String key) {
            return TRACEPARENT.equals(key) ? carrier : null;
        }
    };

    private final Tracer tracer;
    private final Propagator propagator;
    @Autowired
    public MessageTracing(ObjectProvider<Tracer> tracer, ObjectProvider<Propagator> propagator) {
        this(tracer.getIfAvailable(), propagator.getIfAvailable());
    }

    private MessageTracing(Tracer tracer, Propagator propagator) {
        boolean on = tracer != null && tracer != Tracer.NOOP && propagator != null && propagator != Propagator.NOOP;
        this.tracer = on ? tracer : null;
        this.propagator = on ? propagator : null;
    }

    public boolean enabled() {
        return tracer != null;
    }

    /**
     * Makes Camel's span of the exchange's current route the thread's current span until closed, so what a step
     * publishes or links belongs to it; nothing to close when tracing is off or Camel has no span for it.
     */
    public Scope inCamelSpan(Exchange exchange) {
        if (tracer == null || exchange == null) {
            return Scope.NONE;
        }
        SpanAdapter span = ActiveSpanManager.getSpan(exchange);
        if (span == null) {
            return Scope.NONE;
        }
        AutoCloseable scope = span.makeCurrent();
        return () -> {
            try {
                scope.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    /** A scope that closes without an exception to handle. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {

        Scope NONE = () -> { };

        @Override
        void close();
    }

    /**
     * Starts the producer span of one publish of {@code messages} to {@code queue}, a child of the current span (the
     * ingest's request, a store route's batch), and puts its context in each message's headers. Null when off.
     */
    public Span publishing(String queue, List<Message> messages) {
        if (tracer == null) {
            return null;
        }
        Span.Builder builder = tracer.spanBuilder();
        Span parent = tracer.currentSpan();
        if (parent == null) {
            builder.setNoParent();
        } else {
            builder.setParent(parent.context());
        }
        Span span = builder.kind(Span.Kind.PRODUCER).name("publish " + queue)
                .tag("messaging.system", "rabbitmq").tag("messaging.destination.name", queue)
                .tag("messaging.operation.type", "send").tag("messaging.batch.message_count", messages.size()).start();
        for (Message message : messages) {
            propagator.inject(span.context(), message.getMessageProperties(), (properties, key, value) -> properties.setHeader(key, value));
        }
        return span;
    }

    /**
     * Starts the span of one consumer batch of {@code queue} and makes it current until closed, when it ends (failed if
     * {@code failure} then answers an exception). The batch's messages have many producers, so it starts a trace of its
     * own with a link to each distinct producer span their {@code traceparent}s name, at most {@link #MAX_LINKS}.
     */
    public Scope consuming(String queue, List<String> traceparents, Supplier<Exception> failure) {
        if (tracer == null) {
            return Scope.NONE;
        }
        Set<String> producers = new LinkedHashSet<>();
        for (String traceparent : traceparents) {
            if (traceparent != null) {
                producers.add(traceparent);
            }
        }
        Span.Builder builder = tracer.spanBuilder().setNoParent().kind(Span.Kind.CONSUMER).name("process " + queue)
                .tag("messaging.system", "rabbitmq").tag("messaging.destination.name", queue)
                .tag("messaging.operation.type", "process").tag("messaging.batch.message_count", traceparents.size());
        int links = 0;
        int dropped = 0;
        for (String traceparent : producers) {
            SpanContext producer = producer(traceparent);
            if (!producer.isValid()) {
                continue;
            }
            if (links == MAX_LINKS) {
                dropped++;
                continue;
            }
            builder.addLink(new Link(tracer.traceContextBuilder().traceId(producer.getTraceId())
                    .spanId(producer.getSpanId()).sampled(producer.isSampled()).build()));
            links++;
        }
        if (dropped > 0) {
            builder.tag("eventflow.links.dropped", dropped);
        }
        Span span = builder.start();
        Tracer.SpanInScope scope = tracer.withSpan(span);
        return () -> {
            scope.close();
            Exception failed = failure.get();
            if (failed != null) {
                span.error(failed);
            }
            span.end();
        };
    }

    /** Ends a span {@link #publishing} started, with what the broker confirmed. */
    public void published(Span span, int confirmed, String failure) {
        if (span != null) {
            span.tag("eventflow.confirmed", confirmed);
            if (failure != null) {
                span.error(new IllegalStateException(failure));
            }
            span.end();
        }
    }

    /** The trace id a message's {@code traceparent} names, or null when it has none (or not a valid one). */
    public static String traceId(String traceparent) {
        if (traceparent == null) {
            return null;
        }
        SpanContext producer = producer(traceparent);
        return producer.isValid() ? producer.getTraceId() : null;
    }

    private static SpanContext producer(String traceparent) {
        if (traceparent == null) {
            return SpanContext.getInvalid();
        }
        Context extracted = W3CTraceContextPropagator.getInstance().extract(Context.root(), traceparent, TRACEPARENT_ONLY);
        return io.opentelemetry.api.trace.Span.fromContext(extracted).getSpanContext();
    }

    /** Only for the headers a consumer keeps of a message: its {@code traceparent}, if a string. */
    public static String traceparent(Map<String, Object> headers) {
        return headers.get(TRACEPARENT) instanceof String value ? value : null;
    }
}
