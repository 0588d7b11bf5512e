package io.eventflow.infra;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.amqp.ConnectionFactoryCustomizer;
import org.springframework.boot.autoconfigure.amqp.RabbitProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;

/**
 * How Eventflow talks to the broker.
 * <ul>
 * <li>The AMQP client's NIO mode queues outgoing frames and writes them in bulk: a batch of publishes costs a few
 * socket writes instead of one write and flush per message.</li>
 * <li>The broker's callbacks (confirms, returns, deliveries) run on a small fixed pool. Left alone, Spring's
 * connection factory hands every confirm to a cached thread pool, which grew to 600 threads under load and spent
 * the CPU on handing work between them.</li>
 * <li>TLS ({@code spring.rabbitmq.ssl.*} with an SSL bundle) holds in NIO mode too: the client runs it on an SSLEngine
 * from the bundle's SSLContext. The broker's host name is verified ({@code spring.rabbitmq.ssl.verify-hostname}, default
 * true) with a bundle too (TlsBrokerIT).</li>
 * </ul>
 */
@Configuration
public class BrokerConnection {

    private static final int CALLBACK_THREADS = 4;

    @Bean
    public ConnectionFactoryCustomizer nioConnections() {
        return factory -> factory.useNio();
    }

    /**
     * Spring Boot 3.5 applies {@code spring.rabbitmq.ssl.verify-hostname} only without a bundle: with one, a certificate
     * the CA signed for any other host was accepted.
     */
    @Bean
    public ConnectionFactoryCustomizer brokerHostNameVerified(RabbitProperties rabbit) {
        return factory -> {
            if (factory.isSSL() && rabbit.getSsl().isVerifyHostname()) {
                factory.enableHostnameVerification();
            }
        };
    }

    @Bean
    public static BeanPostProcessor boundedBrokerCallbacks() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessBeforeInitialization(Object bean, String beanName) {
                if (bean instanceof CachingConnectionFactory connectionFactory) {
                    CustomizableThreadFactory threads = new CustomizableThreadFactory("amqp-callbacks-");
                    threads.setDaemon(true);
                    ExecutorService callbacks = Executors.newFixedThreadPool(CALLBACK_THREADS, threads);
                    connectionFactory.setExecutor(callbacks);
                }
                return bean;
            }
        };
    }
}
