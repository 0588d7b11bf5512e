package io.eventflow.routes;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import com.rabbitmq.client.Channel;
import io.eventflow.config.EventflowProperties;
import io.eventflow.infra.ConfirmedPublisher;
import io.eventflow.processing.BatchSpan;
import io.eventflow.processing.ConsumerPause;
import io.eventflow.processing.DeadLetters;
import io.eventflow.processing.DeliveryBatch;
import io.eventflow.processing.EventColumns;
import io.eventflow.processing.EventReader;
import io.eventflow.processing.ProcessingClock;
import io.eventflow.processing.SecretCipher;
import io.eventflow.processing.SecretEnricher;
import io.eventflow.processing.SecretWords;
import io.eventflow.processing.TransientFault;
import io.eventflow.support.NoHttpServer;
import io.eventflow.tracing.MessageTracing;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.springrabbit.SpringRabbitMQConstants;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.ThreadPoolProfile;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * A bare CamelContext (no Spring, no broker, no database) running route files of routes/ as they ship, with the
 * pipeline's own beans; each test then replaces the broker and database endpoints with mocks (AdviceWith).
 */
final class RouteFiles {

    /** The test key: 32 bytes, base64. */
    static final String CIPHER_KEY = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0=";

    private RouteFiles() {
    }

    /** A context with the files of routes/ loaded, not started, the REST DSL listening nowhere. */
    static CamelContext load(Map<String, String> settings, String... files) throws Exception {
        return load(settings, Map.of(), files);
    }

    /** The same, with {@code beans} bound before the files are loaded (a Java DSL route looks its beans up then). */
    static CamelContext load(Map<String, String> settings, Map<String, Object> beans, String... files) throws Exception {
        CamelContext camel = new DefaultCamelContext();
        beans.forEach(camel.getRegistry()::bind);
        Properties properties = new Properties();
        properties.putAll(settings);
        camel.getPropertiesComponent().setInitialProperties(properties);
        camel.addComponent("no-http", new NoHttpServer());
        camel.getRestConfiguration().setComponent("no-http");
        camel.getRestConfiguration().setInlineRoutes(false);
        for (String file : files) {
            PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.resolveResource(camel, "file:routes/" + file));
        }
        return camel;
    }

    static EventflowProperties properties(Map<String, String> settings) {
        return new Binder(new MapConfigurationPropertySource(settings)).bindOrCreate("eventflow", EventflowProperties.class);
    }

    static SecretCipher cipher() {
        return new SecretCipher(properties(Map.of("eventflow.cipher.key", CIPHER_KEY)));
    }

    /**
     * The beans of the consumer routes (consumers, service1 and service2 .camel.yaml), the broker being {@code broker};
     * and the batchStorePool the batch-consumer template stores on.
     */
    static void bindConsumerBeans(CamelContext camel, ConfirmedPublisher broker) {
        camel.getRegistry().bind("deliveryBatch", new DeliveryBatch());
        camel.getRegistry().bind("batchSpan", new BatchSpan(MessageTracing.OFF, camel));
        camel.getRegistry().bind("eventReader", new EventReader());
        camel.getRegistry().bind("processingClock", new ProcessingClock());
        camel.getRegistry().bind("eventColumns", new EventColumns());
        camel.getRegistry().bind("secretEnricher", new SecretEnricher(new SecretWords(properties(Map.of())), cipher()));
        camel.getRegistry().bind("confirmedPublisher", broker);
        camel.getRegistry().bind("deadLetters", new DeadLetters(broker));
        camel.getRegistry().bind("consumerPause", new ConsumerPause());
        camel.getRegistry().bind("transientFault", new TransientFault());
        ThreadPoolProfile storePool = new ThreadPoolProfile("batchStorePool");
        storePool.setPoolSize(3);
        storePool.setMaxPoolSize(3);
        storePool.setMaxQueueSize(Integer.MAX_VALUE);
        camel.getExecutorServiceManager().registerThreadPoolProfile(storePool);
    }

    /** The settings the consumer routes read; batches complete at {@code batchSize} messages or after a minute. */
    static Map<String, String> consumerSettings(int batchSize) {
        return Map.of("eventflow.consumers.batch-size", String.valueOf(batchSize),
                "eventflow.consumers.batch-wait-ms", "60000");
    }

    /** Sends a message as the spring-rabbitmq consumer would hand it over with manual acknowledgement. */
    static void deliver(ProducerTemplate producer, String endpoint, String queue, String body, Channel channel, long tag) {
        if (Proxy.isProxyClass(channel.getClass()) && Proxy.getInvocationHandler(channel) instanceof RecordingChannel recording) {
            recording.delivered(tag);
        }
        producer.send(endpoint, exchange -> {
            exchange.getMessage().setBody(body.getBytes(StandardCharsets.UTF_8));
            exchange.getMessage().setHeader(SpringRabbitMQConstants.ROUTING_KEY, queue);
            exchange.getMessage().setHeader(SpringRabbitMQConstants.CONTENT_TYPE, "application/json");
            exchange.getMessage().setHeader(SpringRabbitMQConstants.DELIVERY_TAG, tag);
            exchange.setProperty(SpringRabbitMQConstants.CHANNEL, channel);
        });
    }

    /**
     * A channel that records the delivery tags acknowledged and given back, as the broker counts them: a multiple ack
     * acknowledges every tag delivered up to it and not settled yet.
     */
    static final class RecordingChannel implements InvocationHandler {

        final Queue<Long> acked = new ConcurrentLinkedQueue<>();
        final Queue<Long> requeued = new ConcurrentLinkedQueue<>();
        final Channel channel = (Channel) Proxy.newProxyInstance(Channel.class.getClassLoader(), new Class<?>[] {Channel.class}, this);
        private final Set<Long> outstanding = new TreeSet<>();

        @Override
        public synchronized Object invoke(Object proxy, Method method, Object[] args) {
            switch (method.getName()) {
                case "basicAck" -> {
                    long tag = (Long) args[0];
                    List<Long> taken = (Boolean) args[1] ? outstanding.stream().filter(t -> t <= tag).toList() : List.of(tag);
                    outstanding.removeAll(taken);
                    acked.addAll(taken);
                }
                case "basicNack" -> {
                    outstanding.remove((Long) args[0]);
                    requeued.add((Long) args[0]);
                }
                case "isOpen" -> {
                    return true;
                }
                case "hashCode" -> {
                    return System.identityHashCode(proxy);
                }
                case "equals" -> {
                    return proxy == args[0];
                }
                case "toString" -> {
                    return "RecordingChannel";
                }
                default -> throw new UnsupportedOperationException(method.getName());
            }
            return null;
        }

        /** The broker delivered this tag on the channel. */
        synchronized void delivered(long tag) {
            outstanding.add(tag);
        }
    }

    /**
     * The broker: every message published to a queue goes to {@code mock:<queue>} (its headers as message headers) and
     * is confirmed, unless {@link #confirmNothing} is set.
     */
    static final class MockBroker extends ConfirmedPublisher {

        private final ProducerTemplate producer;
        final AtomicInteger publishes = new AtomicInteger();
        volatile boolean confirmNothing;

        MockBroker(CamelContext camel) {
            super(new CachingConnectionFactory());
            this.producer = camel.createProducerTemplate();
        }

        @Override
        public Outcome publishMessages(String queue, List<Message> messages, long timeoutMs) {
            publishes.incrementAndGet();
            if (confirmNothing) {
                return new Outcome(0, "no confirm within the deadline");
            }
            for (Message message : messages) {
                producer.sendBodyAndHeaders("mock:" + queue, new String(message.getBody(), StandardCharsets.UTF_8),
                        message.getMessageProperties().getHeaders());
            }
            return new Outcome(messages.size(), null);
        }
    }
}
