package io.eventflow.infra;

import org.springframework.boot.autoconfigure.amqp.ConnectionFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * How Eventflow talks to the broker. The AMQP client's NIO mode queues outgoing frames and writes them in bulk: a
 * batch of publishes costs a few socket writes instead of one write and flush per message.
 */
@Configuration
public class BrokerConnection {

    @Bean
    public ConnectionFactoryCustomizer nioConnections() {
        return factory -> factory.useNio();
    }
}
