package io.eventflow.processing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.GetResponse;
import io.eventflow.api.ProblemException;
import io.eventflow.config.EventflowProperties;
import io.eventflow.infra.BrokerTopology;
import io.eventflow.infra.ConfirmedPublisher;
import io.eventflow.pipeline.Topic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.core.QueueInformation;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.stereotype.Component;

/**
 * What the dead-letter queues hold, and the way back out of them.
 * <p>
 * Reading is a bounded browse: up to {@code eventflow.dead-letters.browse-max} messages of a {@code .dlq} are taken
 * unacknowledged on one channel, looked at, and given back (nack with requeue), so nothing is consumed. While
 * a browse runs its messages are not ready (a depth read meanwhile is lower), and each browse counts as a delivery:
 * harmless, because the {@code .dlq} queues have no delivery limit and no dead-letter exchange of their own
 * ({@link BrokerTopology}). Browses and replays take turns, so one never sees the other's unacknowledged messages.
 * <p>
 * A replay moves a dead letter back to the queue it came from ({@code topic1.dlq -> topic1}): published persistent and
 * mandatory, and acknowledged in the {@code .dlq} only once the broker confirmed it there. A crash in between leaves it
 * in both queues, which the idempotent inserts make harmless; an unconfirmed publish leaves it in the {@code .dlq}.
 */
@Component
public class DeadLetterQueues {

    /** When the message was dead-lettered, ISO-8601; set by {@link DeadLetters}. */
    public static final String DEAD_LETTERED_AT = "x-eventflow-dead-lettered-at";

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterQueues.class);

    private final RabbitTemplate channels;
    private final AmqpAdmin amqp;
    private final ConfirmedPublisher publisher;
    private final int browseMax;
    private final ObjectMapper json = new ObjectMapper();

    /**
     * One {@code .dlq} as a listing saw it: its depth, how many letters were browsed and the newest of those; or a null
     * depth and an {@code error} when the queue is not declared.
     */
    public record Listing(Integer messages, @JsonInclude(JsonInclude.Include.NON_NULL) Integer browsed,
            @JsonInclude(JsonInclude.Include.NON_NULL) List<DeadLetter> newest,
            @JsonInclude(JsonInclude.Include.NON_NULL) String error) {
    }

    /** What a replay did in one {@code .dlq}; {@code failure} when the broker did not confirm a letter (it and those after it stay). */
    public record Replay(int replayed, int kept, @JsonInclude(JsonInclude.Include.NON_NULL) String failure) {
    }

    /** One dead letter as it waits in its queue. */
    public record DeadLetter(String queue, String deadLetteredAt, String route, String reason, String eventId) {
    }

    public DeadLetterQueues(ConnectionFactory connectionFactory, AmqpAdmin amqp, ConfirmedPublisher publisher,
            EventflowProperties properties) {
        this.channels = new RabbitTemplate(connectionFactory);
        this.amqp = amqp;
        this.publisher = publisher;
        this.browseMax = properties.deadLetters().browseMax();
    }

    /**
     * For each {@code .dlq}: {@code messages} (its depth), {@code browsed} (how many were read, at most browse-max, from
     * the oldest) and {@code newest}: the newest {@code limit} of those, newest first.
     */
    public synchronized Map<String, Listing> newest(int limit) {
        Map<String, Listing> queues = new LinkedHashMap<>();
        for (Topic topic : Topic.values()) {
            String dlq = topic.deadLetterQueue();
            QueueInformation info = amqp.getQueueInfo(dlq);
            if (info == null) {
                queues.put(dlq, new Listing(null, null, null, "queue not declared"));
            } else {
                // Not bounded by the depth: a depth read right after a listing may not count letters still being given back.
                List<DeadLetter> browsed = browse(dlq, browseMax);
                List<DeadLetter> newest = new ArrayList<>(browsed.subList(Math.max(0, browsed.size() - limit), browsed.size()));
                Collections.reverse(newest);
                queues.put(dlq, new Listing(info.getMessageCount(), browsed.size(), newest, null));
            }
        }
        return queues;
    }

    /**
     * Moves the dead letters of {@code queue} ({@code topic1} or {@code topic1.dlq}; null: every queue) back to the queue
     * they came from; only the one of event {@code eventId} when it is given. Per {@code .dlq}: {@code replayed}, {@code kept}
     * (not of that event) and, if the broker did not confirm a replay, {@code failure} (that letter and those after it stay).
     */
    public synchronized Map<String, Replay> replay(String queue, String eventId) {
        Map<String, Replay> answer = new LinkedHashMap<>();
        for (Topic topic : queue == null || queue.isBlank() ? List.of(Topic.values()) : List.of(origin(queue))) {
            String origin = topic.queue();
            String dlq = topic.deadLetterQueue();
            QueueInformation info = amqp.getQueueInfo(dlq);
            answer.put(dlq, info == null ? new Replay(0, 0, "queue not declared")
                    : replay(dlq, origin, Math.max(info.getMessageCount(), browseMax), eventId));
        }
        return answer;
    }

    private Replay replay(String dlq, String origin, int bound, String eventId) {
        int[] replayed = {0};
        int[] kept = {0};
        String[] failure = {null};
        take(dlq, bound, letter -> {
            if (eventId != null && !eventId.equals(eventId(letter.getBody()))) {
                kept[0]++;
                return Verdict.GIVE_BACK;
            }
            ConfirmedPublisher.Outcome outcome = publisher.publishMessages(origin, List.of(original(letter)),
                    ConfirmedPublisher.CONSUMER_CONFIRM_TIMEOUT_MS);
            if (outcome.confirmed() == 1) {
                replayed[0]++;
                return Verdict.MOVED;
            }
            failure[0] = outcome.failure();
            return Verdict.STOP;
        });
        if (replayed[0] > 0 || failure[0] != null) {
            LOG.warn("Replayed {} dead letters of {} to {}{}", replayed[0], dlq, origin, failure[0] == null ? "" : "; stopped: " + failure[0]);
        }
        return new Replay(replayed[0], kept[0], failure[0]);
    }

    private List<DeadLetter> browse(String dlq, int max) {
        List<DeadLetter> letters = new ArrayList<>();
        take(dlq, max, letter -> {
            letters.add(describe(dlq, letter));
            return Verdict.GIVE_BACK;
        });
        return letters;
    }

    /** What became of a letter taken from a {@code .dlq}: given back, moved (so acknowledged), or given back and the last. */
    private enum Verdict { GIVE_BACK, MOVED, STOP }

    /**
     * Takes up to {@code bound} letters of {@code dlq} unacknowledged, in queue order, on one channel; acknowledges those
     * {@code visit} moved and gives every other one back at the end, in order, whatever happens. Each is given back on
     * its own: the embedded broker (Qpid) requeues only the named tag of a multiple nack and leaves the others held.
     */
    private void take(String dlq, int bound, Function<GetResponse, Verdict> visit) {
        channels.execute(channel -> {
            List<Long> givenBack = new ArrayList<>();
            try {
                for (int i = 0; i < bound; i++) {
                    GetResponse letter = channel.basicGet(dlq, false);
                    if (letter == null) {
                        break;
                    }
                    long tag = letter.getEnvelope().getDeliveryTag();
                    Verdict verdict = visit.apply(letter);
                    if (verdict == Verdict.MOVED) {
                        channel.basicAck(tag, false);
                    } else {
                        givenBack.add(tag);
                    }
                    if (verdict == Verdict.STOP) {
                        break;
                    }
                }
            } finally {
                for (long tag : givenBack) {
                    channel.basicNack(tag, false, true);
                }
            }
            return null;
        });
    }

    private DeadLetter describe(String dlq, GetResponse letter) {
        Map<String, Object> headers = letter.getProps().getHeaders();
        return new DeadLetter(dlq, header(headers, DEAD_LETTERED_AT), header(headers, DeadLetters.ROUTE),
                header(headers, DeadLetters.REASON), eventId(letter.getBody()));
    }

    private static String header(Map<String, Object> headers, String name) {
        Object value = headers == null ? null : headers.get(name);
        return value == null ? null : value.toString();
    }

    /** The message's eventId, or null when it is not an event (which may be why it was dead-lettered). */
    private String eventId(byte[] body) {
        try {
            JsonNode id = json.readTree(body).get("eventId");
            return id != null && id.isTextual() ? id.textValue() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The dead letter as it first arrived, without the reason it failed with then. */
    private static Message original(GetResponse letter) {
        MessageProperties properties = new MessageProperties();
        AMQP.BasicProperties props = letter.getProps();
        properties.setContentType(props.getContentType());
        properties.setDeliveryMode(MessageDeliveryMode.PERSISTENT);
        return new Message(letter.getBody(), properties);
    }

    private static Topic origin(String queue) {
        String origin = queue.endsWith(Topic.DLQ_SUFFIX) ? queue.substring(0, queue.length() - Topic.DLQ_SUFFIX.length()) : queue;
        return Topic.named(origin).orElseThrow(() ->
                new ProblemException(400, "Unknown queue", "expected one of " + Topic.QUEUES + " or its " + Topic.DLQ_SUFFIX));
    }
}
