package io.eventflow.support;

import java.time.Instant;
import java.util.UUID;

import org.springframework.amqp.core.MessageBuilder;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

import static java.nio.charset.StandardCharsets.UTF_8;

/** Messages put on a queue directly, past the ingest: events as the ingest would build them, or anything at all. */
public final class QueueMessages {

    private QueueMessages() {
    }

    /** Publishes {@code body} to {@code queue} as a persistent JSON message. */
    public static void publish(RabbitTemplate rabbit, String queue, String body) {
        rabbit.send("", queue, MessageBuilder.withBody(body.getBytes(UTF_8))
                .setContentType("application/json").setDeliveryMode(MessageDeliveryMode.PERSISTENT).build());
    }

    /** An event message of {@code type} with id {@code id}, and {@code secretValue} (as topic3 carries it) unless null. */
    public static String event(String type, UUID id, String secretValue) {
        return "{\"eventId\":\"" + id + "\",\"eventType\":\"" + type + "\",\"create_date\":\"" + Instant.now()
                + "\",\"batchId\":\"" + UUID.randomUUID() + "\"" + (secretValue == null ? "" : ",\"secretValue\":\"" + secretValue + "\"") + "}";
    }
}
