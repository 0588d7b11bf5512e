package io.eventflow.processing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.ShutdownSignalException;
import io.eventflow.api.ProblemException;
import io.eventflow.config.EventflowProperties;
import io.eventflow.infra.BrokerKind;
import io.eventflow.infra.BrokerTopology;
import io.eventflow.infra.ConfirmedPublisher;
import io.eventflow.pipeline.Topic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.core.QueueInformation;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.connection.RabbitUtils;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.stereotype.Component;

/**
 * What the dead-letter queues hold, and the way back out of them.
 * <p>
 * Reading is a bounded browse: up to {@code eventflow.dead-letters.browse-max} messages of a {@code .dlq} are taken
 * unacknowledged on one channel, looked at, and given back (nack with requeue), so nothing is consumed. The {@code .dlq}
 * queues are classic queues ({@link BrokerTopology}): one has no delivery limit, whatever the policies, and takes a
 * letter given back at the place it had, so browsing never reorders or drops a letter. A {@code .dlq} that an older
 * Eventflow declared as a quorum queue, where each browse would spend a delivery, is listed by its depth only.
 * <p>
 * Listings and replays take turns across every Eventflow instance on the broker, not only in this JVM: each holds
 * {@link #LOCK_QUEUE}, an exclusive queue that only one connection can own and that goes when its connection does, so
 * none sees another's letters as missing while it holds them. A listing that cannot get its turn shows the depths only;
 * a replay that cannot moves nothing and says so.
 * <p>
 * A replay moves a dead letter back to the queue it came from ({@code topic1.dlq -> topic1}): published persistent and
 * mandatory, and acknowledged in the {@code .dlq} only once the broker confirmed it there. A crash in between leaves it
 * in both queues, which the idempotent inserts make harmless; an unconfirmed publish leaves it in the {@code .dlq}. It
 * takes the letters the {@code .dlq} held when it began, once each: a still-poison letter dead-lettered again goes to
 * the tail, and is not passed again.
 */
@Component
public class DeadLetterQueues {

    /** When the message was dead-lettered, ISO-8601; set by {@link DeadLetters}. */
    public static final String DEAD_LETTERED_AT = "x-eventflow-dead-lettered-at";
    /** Whoever declared this exclusive queue (and has not deleted it, nor lost its connection) may list or replay. */
    static final String LOCK_QUEUE = "eventflow.dead-letters.lock";
    static final Duration LISTING_WAIT = Duration.ofSeconds(5);
    static final Duration REPLAY_WAIT = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterQueues.class);
    private static final String BUSY = "another Eventflow instance is listing or replaying dead letters";
    private static final String OLD_QUORUM_QUEUE = "a quorum queue declared by an older Eventflow: browsing it would spend"
            + " its letters' deliveries, which a delivery limit turns into drops (see the log to declare it anew)";
    // Asking costs a refused declaration (logged by the connection factory): not on every dashboard refresh.
    private static final long OLD_RECHECK_NANOS = Duration.ofSeconds(10).toNanos();

    private final RabbitTemplate channels;
    /** Channels on a connection of their own: a broker may answer a lock held elsewhere by closing the connection (Qpid). */
    private final RabbitTemplate lockChannels;
    private final AmqpAdmin amqp;
    private final ConfirmedPublisher publisher;
    private final boolean rabbitmq;
    private final int browseMax;
    private final ReentrantLock turn = new ReentrantLock(true);
    private final Map<String, Long> oldQueuesCheckedAt = new ConcurrentHashMap<>();
    private final ObjectMapper json = new ObjectMapper();

    /**
     * One {@code .dlq} as a listing saw it: its depth, how many letters were browsed and the newest of those; or a null
     * depth and an {@code error} when the queue is not declared; or its depth and why it was {@code notBrowsed}.
     */
    public record Listing(Integer messages, @JsonInclude(JsonInclude.Include.NON_NULL) Integer browsed,
            @JsonInclude(JsonInclude.Include.NON_NULL) List<DeadLetter> newest,
            @JsonInclude(JsonInclude.Include.NON_NULL) String error,
            @JsonInclude(JsonInclude.Include.NON_NULL) String notBrowsed) {
    }

    /**
     * What a replay did in one {@code .dlq}: of the letters it held when the replay began, {@code replayed} moved back,
     * {@code kept} (not of the event asked for), and {@code unreached}: neither, being held by another consumer, or
     * behind a {@code failure} (a publish the broker did not confirm, a lost connection, or the replay not getting its turn).
     */
    public record Replay(int replayed, int kept, int unreached, @JsonInclude(JsonInclude.Include.NON_NULL) String failure) {
    }

    /** One dead letter as it waits in its queue. */
    public record DeadLetter(String queue, String deadLetteredAt, String route, String reason, String eventId) {
    }

    public DeadLetterQueues(ConnectionFactory connectionFactory, AmqpAdmin amqp, ConfirmedPublisher publisher,
            EventflowProperties properties, BrokerKind broker) {
        this.channels = new RabbitTemplate(connectionFactory);
        this.lockChannels = new RabbitTemplate(connectionFactory.getPublisherConnectionFactory() != null
                ? connectionFactory.getPublisherConnectionFactory() : connectionFactory);
        this.amqp = amqp;
        this.publisher = publisher;
        this.rabbitmq = broker.rabbitmq();
        this.browseMax = properties.deadLetters().browseMax();
    }

    /**
     * For each {@code .dlq}: {@code messages} (its depth), {@code browsed} (how many were read, at most browse-max, from
     * the oldest) and {@code newest}: the newest {@code limit} of those, newest first.
     */
    public Map<String, Listing> newest(int limit) {
        return inTurn(LISTING_WAIT, ourTurn -> {
            Map<String, Listing> queues = new LinkedHashMap<>();
            for (Topic topic : Topic.values()) {
                String dlq = topic.deadLetterQueue();
                QueueInformation info = amqp.getQueueInfo(dlq);
                if (info == null) {
                    queues.put(dlq, new Listing(null, null, null, "queue not declared", null));
                } else if (!ourTurn) {
                    queues.put(dlq, new Listing(info.getMessageCount(), null, null, null, BUSY));
                } else if (declaredTheOldWay(dlq)) {
                    queues.put(dlq, new Listing(info.getMessageCount(), null, null, null, OLD_QUORUM_QUEUE));
                } else {
                    List<DeadLetter> browsed = browse(dlq, browseMax);
                    List<DeadLetter> newest = new ArrayList<>(browsed.subList(Math.max(0, browsed.size() - limit), browsed.size()));
                    Collections.reverse(newest);
                    queues.put(dlq, new Listing(info.getMessageCount(), browsed.size(), newest, null, null));
                }
            }
            return queues;
        });
    }

    /**
     * Moves the dead letters of {@code queue} ({@code topic1} or {@code topic1.dlq}; null: every queue) back to the queue
     * they came from; only the one of event {@code eventId} when it is given. Per {@code .dlq}: {@code replayed}, {@code kept}
     * (not of that event), {@code unreached} and, if it stopped early, {@code failure}.
     */
    public Map<String, Replay> replay(String queue, String eventId) {
        List<Topic> topics = queue == null || queue.isBlank() ? List.of(Topic.values()) : List.of(origin(queue));
        return inTurn(REPLAY_WAIT, ourTurn -> {
            Map<String, Replay> answer = new LinkedHashMap<>();
            for (Topic topic : topics) {
                String dlq = topic.deadLetterQueue();
                QueueInformation info = amqp.getQueueInfo(dlq);
                if (info == null) {
                    answer.put(dlq, new Replay(0, 0, 0, "queue not declared"));
                } else if (!ourTurn) {
                    answer.put(dlq, new Replay(0, 0, info.getMessageCount(), BUSY + "; nothing moved, try again"));
                } else if (eventId != null && declaredTheOldWay(dlq)) {
                    answer.put(dlq, new Replay(0, 0, info.getMessageCount(), OLD_QUORUM_QUEUE
                            + "; replaying one event would give the others back: replay the whole queue"));
                } else {
                    answer.put(dlq, replay(dlq, topic.queue(), info.getMessageCount(), eventId));
                }
            }
            return answer;
        });
    }

    private Replay replay(String dlq, String origin, int counted, String eventId) {
        int[] replayed = {0};
        int[] kept = {0};
        String[] failure = {null};
        Set<ByteBuffer> moved = new HashSet<>();
        try {
            take(dlq, counted, letter -> {
                if (moved.contains(ByteBuffer.wrap(letter.getBody()))) {
                    // Moved by this replay and dead-lettered again: it is at the tail, behind every letter counted.
                    return Verdict.STOP;
                }
                if (eventId != null && !eventId.equals(eventId(letter.getBody()))) {
                    kept[0]++;
                    return Verdict.GIVE_BACK;
                }
                ConfirmedPublisher.Outcome outcome = publisher.publishMessages(origin, List.of(original(letter)),
                        ConfirmedPublisher.CONSUMER_CONFIRM_TIMEOUT_MS);
                if (outcome.confirmed() == 1) {
                    replayed[0]++;
                    moved.add(ByteBuffer.wrap(letter.getBody()));
                    return Verdict.MOVED;
                }
                failure[0] = outcome.failure();
                return Verdict.STOP;
            });
        } catch (AmqpException e) {
            failure[0] = "the broker connection was lost: " + e.getMessage();
        }
        int unreached = Math.max(0, counted - replayed[0] - kept[0]);
        if (replayed[0] > 0 || unreached > 0 || failure[0] != null) {
            LOG.warn("Replayed {} of the {} dead letters of {} to {}: {} kept, {} not reached{}", replayed[0], counted, dlq, origin,
                    kept[0], unreached, failure[0] == null ? "" : "; stopped: " + failure[0]);
        }
        return new Replay(replayed[0], kept[0], unreached, failure[0]);
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
            // Closed, not cached: a consumer handed this channel later would start past tag 1 and ack one by one for life.
            RabbitUtils.setPhysicalCloseRequired(channel, true);
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
                if (channel.isOpen()) {
                    for (long tag : givenBack) {
                        channel.basicNack(tag, false, true);
                    }
                    // A round trip on the same channel: the broker took them back before the next one's turn counts them.
                    channel.queueDeclarePassive(dlq);
                }
            }
            return null;
        });
    }

    /**
     * Runs {@code work} in this instance's turn to read the dead-letter queues: told whether it got the turn within
     * {@code wait}, first in this JVM, then on the broker by declaring {@link #LOCK_QUEUE}, which fails while another
     * connection owns it.
     */
    private <T> T inTurn(Duration wait, Function<Boolean, T> work) {
        long deadline = System.nanoTime() + wait.toNanos();
        boolean local;
        try {
            local = turn.tryLock(wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            local = false;
        }
        if (!local) {
            return work.apply(false);
        }
        try {
            boolean ours = lockOnBroker(deadline);
            try {
                return work.apply(ours);
            } finally {
                if (ours) {
                    unlockOnBroker();
                }
            }
        } finally {
            turn.unlock();
        }
    }

    private boolean lockOnBroker(long deadline) {
        long backoffMs = 10;
        while (true) {
            try {
                lockChannels.execute(channel -> channel.queueDeclare(LOCK_QUEUE, false, true, true, null));
                return true;
            } catch (AmqpException e) {
                if (!lockedElsewhere(e)) {
                    throw e;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                Thread.sleep(Math.min(backoffMs, TimeUnit.NANOSECONDS.toMillis(left) + 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            backoffMs = Math.min(backoffMs * 2, 500);
        }
    }

    private void unlockOnBroker() {
        try {
            lockChannels.execute(channel -> channel.queueDelete(LOCK_QUEUE));
        } catch (AmqpException e) {
            LOG.debug("The dead-letter lock went with its connection: {}", e.getMessage());
        }
    }

    /** RabbitMQ refuses another connection's exclusive queue with 405 RESOURCE_LOCKED, Qpid by closing the connection (530). */
    private static boolean lockedElsewhere(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ShutdownSignalException signal) {
                Method reason = signal.getReason();
                int code = reason instanceof AMQP.Channel.Close close ? close.getReplyCode()
                        : reason instanceof AMQP.Connection.Close close ? close.getReplyCode() : 0;
                return code == AMQP.RESOURCE_LOCKED || code == AMQP.NOT_ALLOWED;
            }
        }
        return false;
    }

    /** Whether {@code dlq} is a quorum queue an older Eventflow declared on RabbitMQ; a yes is asked again after 10 s. */
    private boolean declaredTheOldWay(String dlq) {
        if (!rabbitmq) {
            return false;
        }
        Long checkedAt = oldQueuesCheckedAt.get(dlq);
        if (checkedAt != null && System.nanoTime() - checkedAt < OLD_RECHECK_NANOS) {
            return true;
        }
        boolean old = Boolean.TRUE.equals(channels.execute(channel -> BrokerTopology.declaredTheOldWay(channel, dlq)));
        if (old) {
            oldQueuesCheckedAt.put(dlq, System.nanoTime());
        } else {
            oldQueuesCheckedAt.remove(dlq);
        }
        return old;
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
