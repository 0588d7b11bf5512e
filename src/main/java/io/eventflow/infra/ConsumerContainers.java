package io.eventflow.infra;

import org.apache.camel.component.springrabbit.DefaultListenerContainerFactory;
import org.apache.camel.component.springrabbit.SpringRabbitMQEndpoint;
import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;
import org.springframework.stereotype.Component;

/**
 * The listener containers of every queue consumer (camel.component.spring-rabbitmq.listener-container-factory):
 * Camel's own, except that a consumer whose queue is missing keeps trying to subscribe, every recovery interval,
 * instead of stopping its container after three tries 5 s apart (Spring's default): a queue an operator deleted
 * and declared again half a minute later would otherwise never be consumed until a restart.
 */
@Component("consumerContainers")
public class ConsumerContainers extends DefaultListenerContainerFactory {

    @Override
    public AbstractMessageListenerContainer createListenerContainer(SpringRabbitMQEndpoint endpoint) {
        AbstractMessageListenerContainer container = super.createListenerContainer(endpoint);
        container.setMissingQueuesFatal(false);
        return container;
    }
}
