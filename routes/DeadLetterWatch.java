import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.eventflow.pipeline.Topic;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.QueueInformation;

/**
 * dead-letter-watch: every 15 s, the depth of each dead-letter queue (topic1.dlq .. topic3.dlq) as the gauge
 * eventflow_dead_letters{queue} for alerts, and one WARN line when a queue gained letters since the last look.
 * It reads depths with a passive declare and consumes nothing.
 *
 * A Java DSL route: it keeps state between runs (the last depths) and registers meters, which in YAML would take a
 * bean of its own in src/main/java. Edited here, it reloads like the YAML routes. It runs where Java routes compile
 * (the source tree, not the packaged jar: README, "Java DSL routes"); nothing in the pipeline depends on it.
 */
public class DeadLetterWatch extends RouteBuilder {

    private static final Logger LOG = LoggerFactory.getLogger("dead-letter-watch");

    @Override
    public void configure() {
        AmqpAdmin broker = getContext().getRegistry().findSingleByType(AmqpAdmin.class);
        Map<String, AtomicLong> depths = depths(getContext().getRegistry().findSingleByType(MeterRegistry.class));

        // The broker unreachable: the consumers say so loudly already; the gauges keep their last depths.
        onException(AmqpException.class).handled(true)
                .log(LoggingLevel.DEBUG, LOG, "Dead-letter depths not read: ${exception.message}");

        from("timer:dead-letter-watch?period=15000&delay=5000")
                .routeId("dead-letter-watch")
                .process(exchange -> {
                    for (Topic topic : Topic.values()) {
                        String dlq = topic.deadLetterQueue();
                        QueueInformation info = broker.getQueueInfo(dlq);
                        long now = info == null ? 0 : info.getMessageCount();
                        long before = depths.get(dlq).getAndSet(now);
                        if (now > before) {
                            LOG.warn("{} holds {} dead letters (+{} since the last look): see GET /api/deadletters, replay "
                                    + "on /actuator/deadletters", dlq, now, now - before);
                        }
                    }
                });
    }

    /** One set of depths per Camel context, so a reloaded route feeds the gauges registered at the first load. */
    @SuppressWarnings("unchecked")
    private Map<String, AtomicLong> depths(MeterRegistry meters) {
        Map<String, AtomicLong> depths = getContext().getRegistry().lookupByNameAndType("deadLetterDepths", Map.class);
        if (depths == null) {
            depths = new ConcurrentHashMap<>();
            for (Topic topic : Topic.values()) {
                AtomicLong depth = new AtomicLong();
                depths.put(topic.deadLetterQueue(), depth);
                Gauge.builder("eventflow.dead.letters", depth, AtomicLong::get).tag("queue", topic.deadLetterQueue())
                        .description("messages waiting in the dead-letter queue").register(meters);
            }
            getContext().getRegistry().bind("deadLetterDepths", depths);
        }
        return depths;
    }
}
