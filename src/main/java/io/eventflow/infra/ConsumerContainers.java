package io.eventflow.infra;

import com.rabbitmq.client.Channel;
import io.eventflow.processing.DeadLetters;
import io.eventflow.processing.Delivery;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.apache.camel.Route;
import org.apache.camel.component.springrabbit.DefaultListenerContainerFactory;
import org.apache.camel.component.springrabbit.SpringRabbitMQEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;
import org.springframework.stereotype.Component;

/**
 * The listener containers of every queue consumer (camel.component.spring-rabbitmq.listener-container-factory):
 * Camel's own, with two differences, and threads named for their queue ({@code consumer-topic1-1}, ...).
 * <p>
 * A consumer whose queue is missing keeps trying to subscribe, every recovery interval, instead of stopping its
 * container after three tries 5 s apart (Spring's default): a queue an operator deleted and declared again half a
 * minute later would otherwise never be consumed until a restart.
 * <p>
 * Every delivery is made known to its channel's acknowledgements before Camel reads it, and one that reaches no batch
 * (Camel cannot read it, say {@code content_type=text/plain} with an unknown {@code content_encoding}, or anything else
 * fails on the listener thread) is dead-lettered to its queue's {@code .dlq} with the reason, and acknowledged once
 * the broker confirmed that. In MANUAL acknowledgement Spring's retries (5 × 1 s on the listener thread, reading the
 * message no better) end in a reject that is never sent, which left such a message unacknowledged until its channel
 * closed, or let the next multiple ack take it unstored.
 */
@Component("consumerContainers")
public class ConsumerContainers extends DefaultListenerContainerFactory {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerContainers.class);

    private final DeadLetters deadLetters;

    public ConsumerContainers(DeadLetters deadLetters) {
        this.deadLetters = deadLetters;
    }

    @Override
    public AbstractMessageListenerContainer createListenerContainer(SpringRabbitMQEndpoint endpoint) {
        AbstractMessageListenerContainer container = super.createListenerContainer(endpoint);
        container.setMissingQueuesFatal(false);
        // Camel's containers are not Spring beans: without an id Spring AMQP names every consumer thread not.a.Spring.bean-N.
        container.setListenerId("consumer-" + endpoint.getQueues());
        // In place of the retry advice: around each delivery to the listener.
        container.setAdviceChain((MethodInterceptor) invocation -> deliver(invocation, endpoint));
        return container;
    }

    private Object deliver(MethodInvocation invocation, SpringRabbitMQEndpoint endpoint) throws Throwable {
        Message message = (Message) invocation.getArguments()[1];
        Delivery delivery = Delivery.arrived(message, (Channel) invocation.getArguments()[0]);
        Exception failure = null;
        try {
            invocation.proceed();
        } catch (Exception e) {
            failure = e;
        }
        if (!delivery.inBatch()) {
            deadLetters.deadLetter(delivery, reason(message.getMessageProperties(), failure), route(endpoint));
        } else if (failure != null) {
            LOG.warn("The consumer of {} failed after it handed a message to a batch, which settles it: {}",
                    delivery.routingKey(), failure.getMessage());
        }
        return null;
    }

    /** What made the message unreadable: its content type and encoding, and the innermost cause. */
    static String reason(MessageProperties properties, Exception failure) {
        String read = "content_type=" + properties.getContentType() + ", content_encoding=" + properties.getContentEncoding();
        if (failure == null) {
            return "the consumer handed it to no batch (" + read + ")";
        }
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return "unreadable message (" + read + "): " + cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    /** The consumer route of the endpoint, as the dead letter names it. */
    private static String route(SpringRabbitMQEndpoint endpoint) {
        return endpoint.getCamelContext().getRoutes().stream().filter(route -> route.getEndpoint() == endpoint)
                .map(Route::getRouteId).findFirst().orElse(endpoint.getEndpointUri());
    }
}
