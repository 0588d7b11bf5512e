package io.eventflow.ingest;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.CamelContext;
import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.Processor;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.RestConfiguration;
import org.apache.camel.spi.RestConsumerFactory;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.support.DefaultConsumer;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.spi.ThreadPoolProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.AmqpConnectException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ingest route of routes/ingest.camel.yaml in a bare CamelContext, the broker replaced by a mock: which
 * topic each type goes to, and what the answer says when the broker confirms only some of the events.
 */
class IngestRouteTest {

    private final CamelContext camel = new DefaultCamelContext();
    private ProducerTemplate http;
    private MockEndpoint broker;

    @BeforeEach
    void loadRoutes() throws Exception {
        camel.getRegistry().bind("eventRequestParser", new EventRequestParser(EventRequestParserTest.defaults()));
        camel.getRegistry().bind("confirmedCount", new ConfirmedCount());
        camel.getRegistry().bind("publishOutcome", new PublishOutcome());
        camel.addComponent("no-http", new NoHttpServer());
        camel.getRestConfiguration().setComponent("no-http");
        ThreadPoolProfile publishPool = new ThreadPoolProfile("publishPool");
        publishPool.setPoolSize(4);
        publishPool.setMaxPoolSize(4);
        camel.getExecutorServiceManager().registerThreadPoolProfile(publishPool);
        camel.getRestConfiguration().setInlineRoutes(false);
        camel.getPropertiesComponent().addInitialProperty("eventflow.ingest.request-timeout-ms", "1000");
        for (String file : new String[] {"routes/ingest.camel.yaml", "routes/errors.camel.yaml"}) {
            PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.resolveResource(camel, "file:" + file));
        }
        AdviceWith.adviceWith(camel, "ingest-events", route ->
                route.interceptSendToEndpoint("spring-rabbitmq:*").skipSendToOriginalEndpoint().to("mock:broker"));
        camel.start();
        http = camel.createProducerTemplate();
        broker = camel.getEndpoint("mock:broker", MockEndpoint.class);
    }

    @AfterEach
    void stop() {
        camel.stop();
    }

    @Test
    void passiveEventsArePublishedToTopic1AndAnswered202() throws Exception {
        broker.expectedMessageCount(3);

        Exchange answer = post("{\"eventType\":\"passiveEvent\",\"count\":3}");

        broker.assertIsSatisfied();
        assertThat(broker.getExchanges()).allSatisfy(sent -> {
            assertThat(sent.getProperty("topic")).isEqualTo("topic1");
            assertThat(sent.getMessage().getHeader("CamelSpringRabbitmqContentType")).isEqualTo("application/json");
            assertThat(sent.getMessage().getHeaders()).doesNotContainKey("User-Agent");
        });
        assertThat(answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(202);
        assertThat(answer.getMessage().getBody(String.class)).contains("\"accepted\": 3", "\"topic\": \"topic1\"");
    }

    @Test
    void activeEventsArePublishedToTopic2() throws Exception {
        broker.expectedMessageCount(2);

        post("{\"eventType\":\"activeEvent\",\"count\":2}");

        broker.assertIsSatisfied();
        assertThat(broker.getExchanges()).allSatisfy(sent -> assertThat(sent.getProperty("topic")).isEqualTo("topic2"));
    }

    @Test
    void unconfirmedPublishesMake503WithTheConfirmedCount() throws Exception {
        AtomicInteger sends = new AtomicInteger();
        broker.whenAnyExchangeReceived(sent -> {
            if (sends.incrementAndGet() % 3 == 0) {
                throw new AmqpConnectException(new java.net.ConnectException("Connection refused"));
            }
        });

        Exchange answer = post("{\"eventType\":\"passiveEvent\",\"count\":30}");

        assertThat(answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(503);
        assertThat(answer.getMessage().getHeader(Exchange.CONTENT_TYPE)).isEqualTo("application/problem+json");
        @SuppressWarnings("unchecked")
        Map<String, Object> problem = new com.fasterxml.jackson.databind.ObjectMapper().readValue(answer.getMessage().getBody(String.class), Map.class);
        assertThat(problem).containsEntry("status", 503).containsEntry("accepted", 20).containsEntry("title", "Broker unavailable");
    }

    @Test
    void whatIsNotConfirmedByTheDeadlineIsNotAccepted() throws Exception {
        AtomicInteger sends = new AtomicInteger();
        CountDownLatch brokerHangs = new CountDownLatch(1);
        broker.whenAnyExchangeReceived(sent -> {
            if (sends.incrementAndGet() > 5) {
                brokerHangs.await(10, TimeUnit.SECONDS);
            }
        });

        long start = System.nanoTime();
        Exchange answer = post("{\"eventType\":\"activeEvent\",\"count\":12}");
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        brokerHangs.countDown();

        assertThat(answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(503);
        assertThat(answer.getMessage().getBody(String.class)).contains("\"accepted\":5", "deadline");
        assertThat(tookMs).isLessThan(5000);
    }

    private Exchange post(String body) {
        return http.request("direct:ingest-events", exchange -> {
            exchange.getMessage().setBody(body);
            exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
            exchange.getMessage().setHeader("User-Agent", "curl");
        });
    }

    /** The REST DSL needs a consumer factory; these tests call the route directly, so it listens nowhere. */
    static final class NoHttpServer extends DefaultComponent implements RestConsumerFactory {

        @Override
        protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
            throw new UnsupportedOperationException(uri);
        }

        @Override
        public Consumer createConsumer(CamelContext camelContext, Processor processor, String verb, String basePath,
                String uriTemplate, String consumes, String produces, RestConfiguration configuration, Map<String, Object> parameters) {
            return new DefaultConsumer(camelContext.getEndpoint("direct:unused-" + (basePath + uriTemplate).replace('/', '-')), processor);
        }
    }
}
