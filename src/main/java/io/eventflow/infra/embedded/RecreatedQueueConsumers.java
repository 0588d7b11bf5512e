package io.eventflow.infra.embedded;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.component.springrabbit.SpringRabbitMQConsumer;
import org.apache.camel.support.service.ServiceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;
import org.springframework.stereotype.Component;

/**
 * With the embedded broker, a queue deleted and declared again gets its consumers back: each running consumer of that
 * queue is suspended and resumed, which subscribes its listener container anew. (RabbitMQ cancels the consumers of a
 * deleted queue and Spring's container subscribes again by itself; Qpid sends no cancel.) The broker's own count of
 * the new queue's consumers confirms it, or the log says which route did not come back. A consumer that
 * {@code processing/ConsumerPause} holds suspended subscribes when it resumes.
 */
@Component
class RecreatedQueueConsumers implements DisposableBean {

    private static final Logger LOG = LoggerFactory.getLogger(RecreatedQueueConsumers.class);
    private static final long CONFIRM_MS = 10_000;

    private final CamelContext camel;
    private final EmbeddedInfrastructure broker;
    // Never on the broker's thread, which the container's stop and start wait on.
    private final ExecutorService lifecycle = Executors.newSingleThreadExecutor(daemonThreads());

    RecreatedQueueConsumers(ObjectProvider<EmbeddedInfrastructure> embedded, CamelContext camel) {
        this.camel = camel;
        this.broker = embedded.getIfAvailable();
        if (broker != null) {
            broker.onQueueRecreated(queue -> lifecycle.execute(() -> resubscribe(queue)));
        }
    }

    private void resubscribe(String queue) {
        List<Route> consumers = runningConsumersOf(queue);
        if (consumers.isEmpty()) {
            return; // stopped or paused: a consumer subscribes when it starts or resumes
        }
        List<String> routes = consumers.stream().map(Route::getRouteId).toList();
        LOG.info("Queue {} was deleted and declared again: {} subscribe to the new one", queue, routes);
        try {
            for (Route route : consumers) {
                ServiceHelper.suspendService(route.getConsumer());
                ServiceHelper.resumeService(route.getConsumer());
            }
            if (confirmed(queue)) {
                LOG.info("Queue {}: {} consume from the new queue", queue, routes);
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (RuntimeException e) {
            LOG.error("Queue {}: {} could not subscribe to the new queue; restart the route", queue, routes, e);
            return;
        }
        LOG.error("Queue {}: the broker counts no consumer on it {} ms after {} subscribed again; restart the route",
                queue, CONFIRM_MS, routes);
    }

    private List<Route> runningConsumersOf(String queue) {
        return camel.getRoutes().stream()
                .filter(route -> route.getConsumer() instanceof SpringRabbitMQConsumer consumer
                        && consumer.getEndpoint().getQueues() != null
                        && Arrays.asList(consumer.getEndpoint().getQueues().split(",")).contains(queue)
                        && ServiceHelper.isStarted(consumer) && !ServiceHelper.isSuspended(consumer))
                .toList();
    }

    /** Whether the broker counts a consumer on the queue within a few seconds. */
    private boolean confirmed(String queue) throws InterruptedException {
        long deadline = System.currentTimeMillis() + CONFIRM_MS;
        while (broker.consumers(queue) <= 0) {
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    @Override
    public void destroy() {
        lifecycle.shutdownNow();
    }

    private static CustomizableThreadFactory daemonThreads() {
        CustomizableThreadFactory threads = new CustomizableThreadFactory("queue-recreated-");
        threads.setDaemon(true);
        return threads;
    }
}
