package io.eventflow.infra;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.eventflow.config.EventflowProperties;
import io.eventflow.tracing.MessageTracing;
import io.micrometer.tracing.Span;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitOperations;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Publishes a batch of persistent JSON messages to one queue and waits for the broker's confirms of all of them
 * together. Messages are mandatory, so a message the broker could not route to a queue (the queue was deleted) is
 * returned and counts as not confirmed.
 * <p>
 * Every publish goes through one outbox, drained by {@code eventflow.broker.publisher-channels} sender threads that
 * each keep one channel while there is work: what concurrent callers publish at the same moment goes out together,
 * pipelined on a few channels, and the broker confirms it with a few multiple acks. Before, each caller took a
 * channel of its own and held it until its confirms came back: with 64 one-event requests that was 64 channels with
 * one message each in flight, which cost RabbitMQ 2.6 times the CPU per message of one pipelined channel (PerfTest,
 * 64 producers with one unconfirmed message each against one producer with 200).
 * <p>
 * Memory stays bounded whatever the broker does: the outbox holds at most {@link #OUTBOX_MAX_MESSAGES} messages (a
 * publish past it is refused at once, nothing sent), and a caller whose deadline passes withdraws the messages of its
 * batch that were not sent yet, so nothing it was told is unconfirmed goes out later. Those sent without a confirm
 * are counted in {@link Outcome#unconfirmed()}, and {@link Outcome#settled()} completes when the broker (or the
 * channel's closing) has answered for every one of them.
 */
@Component
public class ConfirmedPublisher implements DisposableBean {

    /** How long a consumer's publish (to topic3, to a dead-letter queue) waits for its confirms. */
    public static final long CONSUMER_CONFIRM_TIMEOUT_MS = 5000;
    /** Messages waiting in the outbox at most: 2.5 times the ingest's default in-flight bound, a few MB of heap. */
    static final int OUTBOX_MAX_MESSAGES = 50_000;
    /** A sender gives its channel back after this long without a message. */
    private static final long IDLE_MS = 1000;
    private static final CompletionStage<Void> SETTLED = CompletableFuture.completedStage(null);
    private static final Logger log = LoggerFactory.getLogger(ConfirmedPublisher.class);

    private final RabbitTemplate template;
    private final AtomicLong sequence = new AtomicLong();
    private final BlockingQueue<Batch> outbox = new LinkedBlockingQueue<>();
    /** Messages of the batches in the outbox or being sent, not yet sent or withdrawn. */
    private final AtomicLong queued = new AtomicLong();
    private final List<Thread> senders = new ArrayList<>();
    private final int channels;
    private MessageTracing tracing = MessageTracing.OFF;
    private volatile boolean stopped;

    @Autowired
    public ConfirmedPublisher(ConnectionFactory connectionFactory, EventflowProperties properties) {
        this(connectionFactory, properties.broker().publisherChannels());
    }

    /** For tests that replace the publishing: one sender, started only if they publish through it. */
    public ConfirmedPublisher(ConnectionFactory connectionFactory) {
        this(connectionFactory, 1);
    }

    private ConfirmedPublisher(ConnectionFactory connectionFactory, int channels) {
        this.template = new RabbitTemplate(connectionFactory);
        this.template.setMandatory(true);
        this.channels = channels;
    }

    /** Each publish a producer span whose context its messages carry (io.eventflow.tracing), when tracing is on. */
    @Autowired(required = false)
    public void setTracing(MessageTracing tracing) {
        this.tracing = tracing;
    }

    /**
     * One caller's messages in the outbox, and the correlations it waits on. A sender claims each message before it
     * sends it; withdrawing claims all that are left, so a message is either sent or withdrawn, never both.
     */
    private static final class Batch {

        final String queue;
        final List<Message> messages;
        final CorrelationData[] correlations;
        private final AtomicInteger claimed = new AtomicInteger();

        Batch(String queue, List<Message> messages, AtomicLong sequence) {
            this.queue = queue;
            this.messages = messages;
            this.correlations = new CorrelationData[messages.size()];
            for (int i = 0; i < correlations.length; i++) {
                // A sequence number is enough to correlate; the default random UUID costs a SecureRandom draw.
                correlations[i] = new CorrelationData(Long.toString(sequence.incrementAndGet()));
            }
        }

        /** The index of the next message to send, or -1 when every one was sent or withdrawn. */
        int claim() {
            int next = claimed.getAndIncrement();
            return next < correlations.length ? next : -1;
        }

        /** Claims every message not claimed yet, so none of them is ever sent; how many were claimed before. */
        int withdraw() {
            return Math.min(claimed.getAndSet(correlations.length), correlations.length);
        }

        /** Withdraws what is left and fails it: its caller stops waiting for a confirm that cannot come. */
        void fail(String reason) {
            for (int i = withdraw(); i < correlations.length; i++) {
                correlations[i].getFuture().completeExceptionally(new PublishNotConfirmedException(reason));
            }
        }
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
        if (stopped) {
            return new Outcome(0, "Eventflow is shutting down");
        }
        long waiting = queued.getAndAdd(messages.size());
        // One batch alone always fits, however large: the bound is on what piles up behind a slow broker.
        if (waiting > 0 && waiting + messages.size() > OUTBOX_MAX_MESSAGES) {
            queued.addAndGet(-messages.size());
            return new Outcome(0, waiting + " messages wait to be sent to the broker, the most the outbox holds is "
                    + OUTBOX_MAX_MESSAGES + "; none of these was sent");
        }
        startSenders();
        Span span = tracing.publishing(queue, messages);
        Batch batch = new Batch(queue, messages, sequence);
        outbox.add(batch);
        Outcome outcome = await(batch, deadline);
        tracing.published(span, outcome.confirmed(), outcome.failure());
        return outcome;
    }

    private synchronized void startSenders() {
        if (senders.isEmpty() && !stopped) {
            for (int i = 0; i < channels; i++) {
                Thread sender = new Thread(this::send, "amqp-sender-" + i);
                sender.setDaemon(true);
                senders.add(sender);
                sender.start();
            }
        }
    }

    /**
     * A sender: takes what the outbox holds and publishes it on its channel, as long as messages keep coming; idle,
     * it gives the channel back. When the channel fails, the messages it had sent are nacked by the channel's
     * shutdown (their callers see the failure), and those it had not sent yet fail here: nothing waits for a confirm
     * that cannot come. It survives an Error too (out of memory): a dead sender would leave every publish waiting out
     * its deadline, with nothing to restart it.
     */
    private void send() {
        List<Batch> taken = new ArrayList<>();
        while (!stopped) {
            try {
                taken.add(outbox.take());
                template.invoke(ops -> {
                    while (!taken.isEmpty()) {
                        Batch batch = taken.get(0);
                        sendAll(ops, batch);
                        queued.addAndGet(-batch.correlations.length);
                        taken.clear();
                        Batch next = pollQuietly();
                        if (next != null) {
                            taken.add(next);
                        }
                    }
                    return null;
                });
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException | Error e) {
                if (e instanceof Error) {
                    log.error("A publisher sender failed; it fails the messages waiting to be sent and goes on", e);
                }
                // The channel or the connection failed: what waits behind this batch would meet the same failure.
                outbox.drainTo(taken);
                fail(taken, String.valueOf(e.getMessage()));
            }
        }
        outbox.drainTo(taken);
        fail(taken, "Eventflow is shutting down");
    }

    /** Sends each message of the batch that its caller has not withdrawn. */
    private static void sendAll(RabbitOperations ops, Batch batch) {
        for (int i = batch.claim(); i >= 0; i = batch.claim()) {
            try {
                ops.send("", batch.queue, batch.messages.get(i), batch.correlations[i]);
            } catch (RuntimeException | Error e) {
                // Claimed, so withdrawing does not cover it: fail it here, its caller must not wait for it.
                batch.correlations[i].getFuture().completeExceptionally(new PublishNotConfirmedException(String.valueOf(e.getMessage())));
                throw e;
            }
        }
    }

    private Batch pollQuietly() {
        try {
            return stopped ? null : outbox.poll(IDLE_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private void fail(List<Batch> unsent, String reason) {
        for (Batch batch : unsent) {
            queued.addAndGet(-batch.correlations.length);
            batch.fail(reason);
        }
        unsent.clear();
    }

    @Override
    public void destroy() throws InterruptedException {
        stopped = true;
        List<Thread> running;
        synchronized (this) {
            running = List.copyOf(senders);
        }
        running.forEach(Thread::interrupt);
        for (Thread sender : running) {
            sender.join(TimeUnit.SECONDS.toMillis(5));
        }
        List<Batch> left = new ArrayList<>();
        outbox.drainTo(left);
        fail(left, "Eventflow is shutting down");
    }

    /** Waits for the batch's confirms until the deadline; then withdraws the rest ({@link #withdraw}). */
    private Outcome await(Batch batch, long deadline) {
        CorrelationData[] correlations = batch.correlations;
        int confirmed = 0;
        String failure = null;
        for (int i = 0; i < correlations.length; i++) {
            try {
                correlations[i].getFuture().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return withdraw(batch, i, confirmed, "no confirm within the deadline");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return withdraw(batch, i, confirmed, "interrupted while waiting for confirms");
            } catch (ExecutionException e) {
                // Told apart below.
            }
            String problem = problem(correlations[i]);
            if (problem == null) {
                confirmed++;
            } else {
                failure = problem;
            }
        }
        return new Outcome(confirmed, failure);
    }

    /**
     * Gives up on the batch from message {@code from} on: what was not sent yet never will be (out of the outbox, so
     * out of memory), what was sent and is still unanswered is unconfirmed, settled when the broker answers for it.
     */
    private Outcome withdraw(Batch batch, int from, int confirmed, String reason) {
        if (outbox.remove(batch)) {
            queued.addAndGet(-batch.correlations.length);
        }
        int sent = batch.withdraw();
        List<CompletableFuture<CorrelationData.Confirm>> open = new ArrayList<>();
        for (int i = from; i < sent; i++) {
            CompletableFuture<CorrelationData.Confirm> future = batch.correlations[i].getFuture();
            if (!future.isDone()) {
                open.add(future);
            } else if (problem(batch.correlations[i]) == null) {
                confirmed++;
            }
        }
        return new Outcome(confirmed, reason, open.size(),
                open.isEmpty() ? SETTLED : CompletableFuture.allOf(open.toArray(CompletableFuture[]::new)));
    }

    /** Null when the broker confirmed the (answered) message, otherwise why it did not. */
    private static String problem(CorrelationData correlation) {
        CorrelationData.Confirm confirm;
        try {
            confirm = correlation.getFuture().join();
        } catch (CompletionException e) {
            return e.getCause().getMessage();
        }
        if (correlation.getReturned() != null) {
            return "the broker could not route the message (" + correlation.getReturned().getReplyText() + ")";
        }
        if (!confirm.isAck()) {
            return "the broker refused the message" + (confirm.getReason() == null ? "" : " (" + confirm.getReason() + ")");
        }
        return null;
    }

    private static Message message(byte[] body) {
        MessageProperties properties = new MessageProperties();
        properties.setContentType(MessageProperties.CONTENT_TYPE_JSON);
        properties.setDeliveryMode(MessageDeliveryMode.PERSISTENT);
        return new Message(body, properties);
    }

    /**
     * Publishes all of them and fails unless the broker confirmed every one: for a consumer, whose batch is then
     * retried (the republished copies are harmless, the insert ignores them). With tracing on, the publish is a child
     * of the route's span.
     */
    public void publishAll(String queue, List<byte[]> bodies, Exchange exchange) {
        try (MessageTracing.Scope span = tracing.inCamelSpan(exchange)) {
            publishAll(queue, bodies);
        }
    }

    /** Like {@link #publishAll(String, List, Exchange)}, outside a route. */
    public void publishAll(String queue, List<byte[]> bodies) {
        Outcome outcome = publish(queue, bodies, CONSUMER_CONFIRM_TIMEOUT_MS);
        if (outcome.confirmed() < bodies.size()) {
            throw new PublishNotConfirmedException("the broker confirmed " + outcome.confirmed() + " of " + bodies.size()
                    + " messages to " + queue + " (" + outcome.failure() + ")");
        }
    }

    /**
     * How many messages of a batch the broker confirmed, and why the others were not (null when all were);
     * {@code unconfirmed} of the others were sent without a confirm by the deadline (the broker may still hold them),
     * and {@code settled} completes once the broker or the channel's closing has answered for each of those.
     */
    public record Outcome(int confirmed, String failure, int unconfirmed, CompletionStage<Void> settled) {

        public Outcome(int confirmed, String failure) {
            this(confirmed, failure, 0, SETTLED);
        }
    }
}
