package io.eventflow.infra;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.stereotype.Component;

/**
 * Publishes a batch of persistent JSON messages to one queue and waits for the broker's confirms of all of them
 * together: the batch costs one confirm round trip, not one per message. Messages are mandatory, so a message the
 * broker could not route to a queue (the queue was deleted) is returned and counts as not confirmed.
 */
@Component
public class ConfirmedPublisher {

    /** How long a consumer's publish (to topic3, to a dead-letter queue) waits for its confirms. */
    public static final long CONSUMER_CONFIRM_TIMEOUT_MS = 5000;

    private final RabbitTemplate template;
    private final AtomicLong sequence = new AtomicLong();

    public ConfirmedPublisher(ConnectionFactory connectionFactory) {
        this.template = new RabbitTemplate(connectionFactory);
        this.template.setMandatory(true);
    }

    /**
     * Publishes every body to {@code queue} (through the default exchange) and waits up to {@code timeoutMs} in all
     * for their confirms. Never throws for a broker failure: the outcome says how many the broker holds.
     */
    public Outcome publish(String queue, List<byte[]> bodies, long timeoutMs) {
        return publishMessages(queue, bodies.stream().map(ConfirmedPublisher::message).toList(), timeoutMs);
    }

    /** Like {@link #publish}, for messages whose properties the caller sets. */
    public Outcome publishMessages(String queue, List<Message> messages, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        List<CorrelationData> pending = new ArrayList<>(messages.size());
        try {
            template.invoke(ops -> {
                for (Message message : messages) {
                    // A sequence number is enough to correlate; the default random UUID costs a SecureRandom draw.
                    CorrelationData correlation = new CorrelationData(Long.toString(sequence.incrementAndGet()));
                    ops.send("", queue, message, correlation);
                    pending.add(correlation);
                }
                return null;
            });
        } catch (AmqpException e) {
            // Those sent before the failure may still be confirmed: wait for them, count the rest as failed.
            return await(pending, deadline, e.getMessage());
        }
        return await(pending, deadline, null);
    }

    private static Outcome await(List<CorrelationData> pending, long deadline, String sendFailure) {
        int confirmed = 0;
        String failure = sendFailure;
        for (CorrelationData correlation : pending) {
            try {
                long left = Math.max(0, deadline - System.nanoTime());
                CorrelationData.Confirm confirm = correlation.getFuture().get(left, TimeUnit.NANOSECONDS);
                if (correlation.getReturned() != null) {
                    failure = "the broker could not route the message (" + correlation.getReturned().getReplyText() + ")";
                } else if (confirm.isAck()) {
                    confirmed++;
                } else {
                    failure = "the broker refused the message" + (confirm.getReason() == null ? "" : " (" + confirm.getReason() + ")");
                }
            } catch (TimeoutException e) {
                failure = "no confirm within the deadline";
            } catch (ExecutionException e) {
                failure = e.getCause().getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = "interrupted while waiting for confirms";
                break;
            }
        }
        return new Outcome(confirmed, failure);
    }

    private static Message message(byte[] body) {
        MessageProperties properties = new MessageProperties();
        properties.setContentType(MessageProperties.CONTENT_TYPE_JSON);
        properties.setDeliveryMode(MessageDeliveryMode.PERSISTENT);
        return new Message(body, properties);
    }

    /**
     * Publishes all of them and fails unless the broker confirmed every one: for a consumer, whose batch is then
     * retried (the republished copies are harmless, the insert ignores them).
     */
    public void publishAll(String queue, List<byte[]> bodies) {
        Outcome outcome = publish(queue, bodies, CONSUMER_CONFIRM_TIMEOUT_MS);
        if (outcome.confirmed() < bodies.size()) {
            throw new PublishNotConfirmedException("the broker confirmed " + outcome.confirmed() + " of " + bodies.size()
                    + " messages to " + queue + " (" + outcome.failure() + ")");
        }
    }

    /** How many messages of a batch the broker confirmed, and why the others were not (null when all were). */
    public record Outcome(int confirmed, String failure) {
    }
}
