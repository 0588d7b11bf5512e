package io.eventflow.processing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import io.eventflow.pipeline.Topic;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.support.service.ServiceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;
import org.springframework.stereotype.Component;

/**
 * While a queue's batches cannot be stored (a transient fault that outlasts a few retries: the database unreachable,
 * read-only, ...), that queue's consumer is suspended: it takes no more messages, and the broker takes back the ones
 * it held. Held unacknowledged through a long outage, they would pass RabbitMQ's consumer_timeout, which closes their
 * channel and delivers them again, over and over, each time one step closer to the queue's delivery limit, where the
 * broker dead-letters healthy events. The batch still retrying is the probe: once a batch of that queue ends, stored
 * or not (its dead letter not confirmed, its thread interrupted), the consumer resumes, and pauses again if the fault
 * lasts: a batch that ends unstored must not leave its consumer paused for good.
 */
@Component
public class ConsumerPause implements Processor, MeterBinder {

    /** Retries of one batch before its consumer pauses (0.25 + 0.5 s of backoff): a blip pauses nothing. */
    static final int RETRIES_BEFORE_PAUSE = 2;

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerPause.class);

    /** The consumers that should be paused now; the lifecycle thread makes each one so. */
    private final Set<String> paused = ConcurrentHashMap.newKeySet();
    private final Map<String, String> reasons = new ConcurrentHashMap<>();
    /** The consumers a caller holds paused ({@link #hold}), whatever their batches do meanwhile. */
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    // Suspending a consumer waits for its listener threads; never on a thread that stores or retries a batch.
    private final ExecutorService lifecycle = Executors.newSingleThreadExecutor(daemonThreads());

    /**
     * {@code eventflow_consumer_paused{consumer}}: 1 while a fault (or a route reload) keeps that queue consumer
     * paused, else 0, for each consumer route of the pipeline; alerts fire on it (deploy/prometheus).
     */
    @Override
    public void bindTo(MeterRegistry meters) {
        for (Topic topic : Topic.values()) {
            String consumer = topic.batchRoute();
            Gauge.builder("eventflow.consumer.paused", this, pause -> pause.isPaused(consumer) ? 1 : 0)
                    .tag("consumer", consumer).description("1 while the queue consumer is paused by a fault or a reload")
                    .register(meters);
        }
    }

    /** Whether a fault or a {@link #hold} keeps this consumer paused now. */
    public boolean isPaused(String consumer) {
        return paused.contains(consumer) || held.contains(consumer);
    }

    /** Before each retry of a transient failure: pauses the consumer of the batch's queue once it failed a few times. */
    @Override
    public void process(Exchange retried) {
        String consumer = retried.getProperty(DeliveryBatch.CONSUMER_ROUTE, String.class);
        int retries = retried.getMessage().getHeader(Exchange.REDELIVERY_COUNTER, 0, Integer.class);
        if (consumer != null && retries >= RETRIES_BEFORE_PAUSE && paused.add(consumer)) {
            Exception cause = retried.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
            reasons.put(consumer, cause == null ? "unknown" : String.valueOf(cause.getMessage()));
            follow(retried.getContext(), consumer, true);
        }
    }

    /** After a batch ended, whichever way: its queue's consumer runs again if it was paused. */
    public void resume(Exchange done) {
        String consumer = done.getProperty(DeliveryBatch.CONSUMER_ROUTE, String.class);
        if (consumer != null && paused.remove(consumer)) {
            follow(done.getContext(), consumer, true);
        }
    }

    /**
     * Pauses those of these consumers that run, and holds them paused until {@link #release}: suspended when this
     * returns. A fault's pause and resume in between leave them paused; one paused already (by a fault, or by an operator
     * in Hawtio) is not held, and is left as it is. Which ones it holds.
     */
    public List<String> hold(CamelContext camel, Collection<String> consumers) throws Exception {
        List<String> holding = new ArrayList<>();
        for (String consumer : consumers) {
            lifecycle.submit(() -> {
                Route route = camel.getRoute(consumer);
                if (route != null && !ServiceHelper.isSuspended(route.getConsumer())) {
                    held.add(consumer);
                    holding.add(consumer);
                    ServiceHelper.suspendService(route.getConsumer());
                }
            }).get();
        }
        return holding;
    }

    /** Ends {@link #hold}: each of these consumers runs again, unless a fault wants it paused. */
    public void release(CamelContext camel, Collection<String> consumers) {
        held.removeAll(consumers);
        consumers.forEach(consumer -> follow(camel, consumer, false));
    }

    /**
     * Brings the consumer to the state {@code paused} and {@code held} want now, on the one lifecycle thread: whichever
     * order a pause and a resume were queued in, the last one to run sees the last wish, so a race cannot leave the
     * consumer suspended.
     */
    private void follow(CamelContext camel, String consumer, boolean logResume) {
        lifecycle.execute(() -> {
            Route route = camel.getRoute(consumer);
            if (route == null) {
                return;
            }
            boolean suspended = ServiceHelper.isSuspended(route.getConsumer());
            boolean faulty = paused.contains(consumer);
            if ((faulty || held.contains(consumer)) && !suspended) {
                ServiceHelper.suspendService(route.getConsumer());
                LOG.warn("Paused {}: its batches cannot be stored ({}); it resumes once one is", consumer, reasons.get(consumer));
            } else if (!faulty && !held.contains(consumer) && suspended
                    // Shutting down: the route stops its consumer, suspended or not; resuming it would start it again.
                    && !camel.isStopping() && camel.getRouteController().getRouteStatus(consumer).isStarted()) {
                ServiceHelper.resumeService(route.getConsumer());
                if (logResume) {
                    LOG.info("Resumed {}: a batch of it ended (stored, dead-lettered or failed); it pauses again if the fault lasts",
                            consumer);
                }
            }
        });
    }

    private static CustomizableThreadFactory daemonThreads() {
        CustomizableThreadFactory threads = new CustomizableThreadFactory("consumer-pause-");
        threads.setDaemon(true);
        return threads;
    }
}
