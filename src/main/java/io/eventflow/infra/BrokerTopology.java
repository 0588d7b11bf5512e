package io.eventflow.infra;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.rabbitmq.client.Channel;
import io.eventflow.config.EventflowProperties;
import io.eventflow.config.Role;
import io.eventflow.pipeline.Topic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.Declarable;
import org.springframework.amqp.core.Declarables;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.connection.RabbitUtils;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The queues Eventflow owns, declared once by the application (Spring's RabbitAdmin declares them on every
 * (re)connect): the durable queue of each {@link Topic} and its dead-letter queue, those the process's roles use, the only
 * broker-specific code in Eventflow.
 * <p>
 * The routes dead-letter poison messages themselves, so this works on any AMQP 0-9-1 broker. On RabbitMQ the
 * queues are also quorum queues with a delivery limit and broker-side dead-lettering, as a safety net for a
 * message that fails even to be dead-lettered. Other brokers (the embedded Qpid) refuse those arguments.
 * <p>
 * On RabbitMQ each {@code .dlq} is a classic queue: a quorum queue counts every look at a letter (a browse gives it back)
 * as a delivery, and a delivery limit, from a policy (its lowest value wins over any argument) or RabbitMQ 4's default
 * of 20, then drops the letter. A classic queue has no delivery limit, whatever the policies, and puts a letter given
 * back where it was. A {@code .dlq} an older Eventflow declared as a quorum queue is left as it is
 * ({@link DeadLetterQueueDeclarations}).
 */
@Configuration
public class BrokerTopology {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerTopology.class);
    private static final Map<String, Object> CLASSIC = Map.of("x-queue-type", "classic");

    /** Whether the broker is RabbitMQ ({@code eventflow.broker.flavor}, or asked at start): its queues get RabbitMQ's arguments. */
    @Bean
    public BrokerKind brokerKind(EventflowProperties properties, ConnectionFactory connectionFactory) {
        return new BrokerKind(isRabbitMq(properties.broker().flavor(), connectionFactory));
    }

    @Bean
    public Declarables eventflowQueues(EventflowProperties properties, BrokerKind broker) {
        boolean rabbitmq = broker.rabbitmq();
        List<Declarable> queues = new ArrayList<>();
        for (Topic topic : topicsOf(properties.roles())) {
            String name = topic.queue();
            String dlq = topic.deadLetterQueue();
            if (rabbitmq) {
                queues.add(QueueBuilder.durable(name).quorum()
                        .deadLetterExchange("").deadLetterRoutingKey(dlq)
                        // A healthy message comes back at most once per fault it is held through: the consumers pause
                        // during a database outage (processing/ConsumerPause) and give back what they hold once, instead of
                        // once per consumer_timeout; a lost connection or a restart gives it back once too. The default 10 is
                        // ten such faults in a row while one message is held, and parks a message that crashes its consumer
                        // after ten tries. RabbitMQ refuses a changed x-delivery-limit on an existing queue (406): change it
                        // with a policy (delivery-limit) there.
                        .deliveryLimit(properties.broker().deliveryLimit())
                        .build());
                // Declared by DeadLetterQueueDeclarations, each on a channel of its own, not in RabbitAdmin's round.
                Queue deadLetters = QueueBuilder.durable(dlq).withArguments(CLASSIC).build();
                deadLetters.setShouldDeclare(false);
                queues.add(deadLetters);
            } else {
                queues.add(new Queue(name, true, false, false, Map.of()));
                queues.add(new Queue(dlq, true, false, false, Map.of()));
            }
        }
        LOG.info("Broker topology: {} durable queues{}", queues.size(), rabbitmq ? " (RabbitMQ quorum queues with dead-letter safety net)" : "");
        return new Declarables(queues);
    }

    /**
     * The {@code .dlq} queues on RabbitMQ, declared on every connect apart from RabbitAdmin's round; declaring one that
     * an older Eventflow made a quorum queue as a classic one fails (406 PRECONDITION_FAILED): it is left as it is, with a
     * warning, and {@link #declaredTheOldWay} tells the dead-letter tools not to browse it. Null on other brokers,
     * where RabbitAdmin declares them with the rest.
     */
    @Bean
    public DeadLetterQueueDeclarations deadLetterQueueDeclarations(EventflowProperties properties, BrokerKind broker,
            ConnectionFactory connectionFactory) {
        if (!broker.rabbitmq()) {
            return null;
        }
        return new DeadLetterQueueDeclarations(topicsOf(properties.roles()).stream().map(Topic::deadLetterQueue).toList(),
                connectionFactory);
    }

    /**
     * Whether {@code dlq} on RabbitMQ is a quorum queue an older Eventflow declared, not the classic queue declared now: the
     * broker refuses to declare it as a classic one (406), which closes {@code channel}. A missing queue is declared by this.
     */
    public static boolean declaredTheOldWay(Channel channel, String dlq) throws IOException {
        try {
            channel.queueDeclare(dlq, true, false, false, CLASSIC);
            return false;
        } catch (IOException e) {
            if (RabbitUtils.isMismatchedQueueArgs(e)) {
                return true;
            }
            throw e;
        }
    }

    /** The topics the roles publish to or consume, in pipeline order: an ingest alone declares topic1 and topic2. */
    static List<Topic> topicsOf(Set<Role> roles) {
        Set<String> needed = new HashSet<>();
        roles.forEach(role -> needed.addAll(role.queues()));
        return Arrays.stream(Topic.values()).filter(topic -> needed.contains(topic.queue())).toList();
    }

    /**
     * RabbitAdmin declares the queues whenever it opens a connection; if something opened one before the queues
     * above existed as a bean, that first connection declared nothing. Declaring once more after every singleton
     * exists makes the topology independent of bean creation order. A broker that is down now gets them on connect.
     */
    @Bean
    public SmartInitializingSingleton declareQueuesAfterStartup(ObjectProvider<AmqpAdmin> admin,
            ObjectProvider<DeadLetterQueueDeclarations> deadLetterQueues) {
        return () -> admin.ifAvailable(amqp -> {
            deadLetterQueues.ifAvailable(DeadLetterQueueDeclarations::declareNow);
            if (amqp instanceof RabbitAdmin rabbitAdmin) {
                try {
                    rabbitAdmin.initialize();
                } catch (AmqpException e) {
                    LOG.warn("Broker not reachable to declare the queues now ({}); they are declared on connect", e.getMessage());
                }
            }
        });
    }

    static boolean isRabbitMq(String flavor, ConnectionFactory connectionFactory) {
        switch (flavor) {
            case "rabbitmq":
                return true;
            case "generic":
                return false;
            case "auto":
                break;
            default:
                throw new IllegalArgumentException("eventflow.broker.flavor must be auto, rabbitmq or generic, not " + flavor);
        }
        try (var connection = connectionFactory.createConnection()) {
            Object product = connection.getDelegate().getServerProperties().get("product");
            return product != null && product.toString().equalsIgnoreCase("RabbitMQ");
        } catch (RuntimeException e) {
            LOG.warn("Broker not reachable to detect its kind ({}); assuming RabbitMQ. Set eventflow.broker.flavor to be explicit.", e.getMessage());
            return true;
        }
    }
}
