package io.eventflow.processing;

import java.io.IOException;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.infra.ConfirmedPublisher;
import io.eventflow.pipeline.Topic;
import io.eventflow.tracing.MessageTracing;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.stereotype.Component;

/**
 * Moves a message that cannot be stored, or not even read, to its queue's dead-letter queue ({@code topic1 ->
 * topic1.dlq}), its bytes as they arrived, with why in header {@code x-eventflow-reason}, where in
 * {@code x-eventflow-route} and when in {@code x-eventflow-dead-lettered-at}; acknowledges it once the broker confirmed
 * the dead letter. If the broker does not, the message goes back to its queue: never dropped.
 */
@Component
public class DeadLetters {

    public static final String REASON = "x-eventflow-reason";
    public static final String ROUTE = "x-eventflow-route";

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ConfirmedPublisher publisher;

    public DeadLetters(ConfirmedPublisher publisher) {
        this.publisher = publisher;
    }

    /** Dead-letters each delivery of a batch that failed alone in its store route, with the exception it failed with. */
    public void deadLetter(Exchange exchange) {
        Exception cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String reason = cause == null ? "unknown" : String.valueOf(cause.getMessage());
        String route = exchange.getProperty(Exchange.FAILURE_ROUTE_ID, String.class);
        for (Delivery delivery : DeliveryBatch.deliveries(exchange)) {
            deadLetter(delivery, reason, route);
        }
    }

    /**
     * Dead-letters one delivery with this reason, acknowledging it once the broker confirmed the dead letter; if it did
     * not, gives it back to its queue. Also for a delivery that failed before reaching a batch (infra/ConsumerContainers).
     */
    public void deadLetter(Delivery delivery, String reason, String route) {
        String dlq = delivery.routingKey() + Topic.DLQ_SUFFIX;
        ConfirmedPublisher.Outcome outcome = publisher.publishMessages(dlq, List.of(message(delivery, reason, route)),
                ConfirmedPublisher.CONSUMER_CONFIRM_TIMEOUT_MS);
        String event = describe(delivery);
        if (outcome.confirmed() == 1) {
            delivery.ack();
            LOG.warn("Dead-lettered {} of {} from {}: {}", event, delivery.routingKey(), route, reason);
        } else {
            delivery.requeue();
            LOG.warn("Could not dead-letter {} of {} from {} ({}); it went back to its queue. It failed with: {}",
                    event, delivery.routingKey(), route, outcome.failure(), reason);
        }
    }

    /** "event <id>" (and the trace its producer was in) when the message is one, so the log line leads to it. */
    static String describe(Delivery delivery) {
        String traceId = MessageTracing.traceId(delivery.traceparent());
        String trace = traceId == null ? "" : " (trace " + traceId + ")";
        try {
            JsonNode eventId = JSON.readTree(delivery.body()).get("eventId");
            if (eventId != null && eventId.isTextual()) {
                return "event " + eventId.textValue() + trace;
            }
        } catch (IOException | RuntimeException e) {
            // Not JSON: no event id to name.
        }
        return "a message" + trace;
    }

    private static Message message(Delivery delivery, String reason, String route) {
        MessageProperties properties = new MessageProperties();
        properties.setContentType(delivery.contentType());
        properties.setDeliveryMode(MessageDeliveryMode.PERSISTENT);
        properties.setHeader(REASON, reason);
        properties.setHeader(ROUTE, route);
        properties.setHeader(DeadLetterQueues.DEAD_LETTERED_AT, Instant.now().toString());
        return new Message(delivery.body(), properties);
    }
}
