package io.eventflow.processing;

import java.time.Duration;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.service.ServiceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.Answers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/** A consumer paused for a fault runs again once a batch of it ends, whichever order a pause and a resume race in. */
class ConsumerPauseTest {

    private static final String CONSUMER = "service1-topic1-batch";
    private static final String OTHER = "service1-topic2-batch";
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    private CamelContext camel;
    private final ConsumerPause pause = new ConsumerPause();

    @BeforeEach
    void startConsumer() throws Exception {
        camel = new DefaultCamelContext();
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:topic1").routeId(CONSUMER).log("${body}");
                from("direct:topic2").routeId(OTHER).log("${body}");
            }
        });
        camel.start();
    }

    @AfterEach
    void stop() {
        camel.stop();
    }

    @Test
    void batchRetriedPastThePauseAndEndingResumesItsConsumer() {
        pause.process(retried(CONSUMER, ConsumerPause.RETRIES_BEFORE_PAUSE));
        await().atMost(PATIENCE).until(() -> suspended(CONSUMER));

        pause.resume(ended(CONSUMER));

        await().atMost(PATIENCE).until(() -> !suspended(CONSUMER));
    }

    @Test
    void aBatchEndingBetweenThePauseAndItsSuspendDoesNotLeaveTheConsumerPaused() {
        Exchange batchB = ended(CONSUMER);
        // Batch A, retrying, decides to pause; batch B of the same consumer ends right then, before A's suspend is queued.
        Exchange batchA = mock(Exchange.class, Answers.RETURNS_DEEP_STUBS);
        when(batchA.getProperty(DeliveryBatch.CONSUMER_ROUTE, String.class)).thenReturn(CONSUMER);
        when(batchA.getMessage().getHeader(Exchange.REDELIVERY_COUNTER, 0, Integer.class)).thenReturn(ConsumerPause.RETRIES_BEFORE_PAUSE);
        when(batchA.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class)).thenReturn(new IllegalStateException("database away"));
        when(batchA.getContext()).thenAnswer(invocation -> {
            pause.resume(batchB);
            return camel;
        });
        pause.process(batchA);
        pauseAndResumeAnotherConsumer();

        // A's retry then succeeds: its batch ends, and its consumer must run again.
        pause.resume(ended(CONSUMER));
        pauseAndResumeAnotherConsumer();

        assertThat(suspended(CONSUMER)).as("suspended once every pause and resume was carried out").isFalse();
        assertThat(camel.getRouteController().getRouteStatus(CONSUMER).isStarted()).isTrue();
    }

    /** The pauses and resumes run one after another on one thread: once another consumer's have, the earlier ones have too. */
    private void pauseAndResumeAnotherConsumer() {
        pause.process(retried(OTHER, ConsumerPause.RETRIES_BEFORE_PAUSE));
        await().atMost(PATIENCE).until(() -> suspended(OTHER));
        pause.resume(ended(OTHER));
        await().atMost(PATIENCE).until(() -> !suspended(OTHER));
    }

    private boolean suspended(String consumer) {
        return ServiceHelper.isSuspended(camel.getRoute(consumer).getConsumer());
    }

    private Exchange retried(String consumer, int retries) {
        Exchange exchange = ended(consumer);
        exchange.getMessage().setHeader(Exchange.REDELIVERY_COUNTER, retries);
        return exchange;
    }

    private Exchange ended(String consumer) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.setProperty(DeliveryBatch.CONSUMER_ROUTE, consumer);
        return exchange;
    }
}
