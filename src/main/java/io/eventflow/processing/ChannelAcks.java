package io.eventflow.processing;

import java.io.IOException;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import com.rabbitmq.client.Channel;

/**
 * The acknowledgements of one consumer channel: what a batch stored is acknowledged with one multiple ack (every tag up
 * to the one it names) instead of one ack per message. Single acks cost RabbitMQ a third of its CPU per message: 0.157
 * against 0.101 ms at 4,000 persistent msg/s on a quorum queue (PerfTest, ack every message or every 100, 2026-12-04).
 * <p>
 * A multiple ack must never reach a message not stored yet, nor one the channel never told about. Every delivery is
 * known from the moment the listener container hands it over ({@link #delivered}), before Camel reads it, so one that
 * fails before reaching a batch still holds the multiple acks back until it is settled (dead-lettered by the listener,
 * {@code infra/ConsumerContainers}). Batches of a channel are stored at once and commit in any order, so a multiple ack
 * goes no further than the settled tags that follow the last one without a gap. A stored tag behind one still in
 * flight waits for it, a second at most, on a timer; then it is acknowledged on its own, and once the slow one is
 * settled the multiple acks go on past both. Below the channel's first delivery nothing is known: a channel taken from
 * the connection factory's cache may have had deliveries for someone else (the dead-letter browser), outstanding or
 * not, so a channel whose first tag is not 1, like one with a tag its listener never saw, is acknowledged one tag at a
 * time. An ack never names a tag that is not outstanding: Qpid reads a multiple ack of such a tag as "all of them".
 */
final class ChannelAcks {

    /** How long stored tags wait behind one still in flight before they are acknowledged on their own. */
    static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Runs a task once, after a delay. */
    interface Timer {
        void after(long delayNanos, Runnable task);
    }

    private static final Map<Channel, ChannelAcks> CHANNELS = Collections.synchronizedMap(new WeakHashMap<>());
    private static final ScheduledExecutorService WAKEUPS = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "channel-acks-wakeup");
        thread.setDaemon(true);
        return thread;
    });

    private final LongSupplier clock;
    private final Timer timer;
    /** Delivered, neither acknowledged nor given back yet: tag, and when it was delivered. */
    private final TreeMap<Long, Long> inFlight = new TreeMap<>();
    /** Delivered and in flight, and not handed to a batch (yet). */
    private final Set<Long> unbatched = new HashSet<>();
    /** Stored above {@link #settled}, behind a tag that is not settled yet: to be acknowledged. */
    private final TreeSet<Long> stored = new TreeSet<>();
    /** Settled above {@link #settled} with nothing left to send: given back (nacked), or acknowledged on its own. */
    private final TreeSet<Long> done = new TreeSet<>();
    /** Every tag up to this one is settled; 0 at first, so tags below the first delivery count as unknown. */
    private long settled;
    /** The highest tag delivered so far. */
    private long latest;
    private boolean wakeupPending;
    private long wakeupDue;

    ChannelAcks(LongSupplier clock, Timer timer) {
        this.clock = clock;
        this.timer = timer;
    }

    /**
     * The acknowledgements of a consumer's channel, the same for every delivery it made; they go out on that channel.
     * Kept only as long as the channel is (so holding no reference to it).
     */
    static ChannelAcks of(Channel channel) {
        return CHANNELS.computeIfAbsent(channel, unused -> new ChannelAcks(System::nanoTime,
                (delayNanos, task) -> WAKEUPS.schedule(task, delayNanos, TimeUnit.NANOSECONDS)));
    }

    /** The listener container handed this delivery over: no multiple ack passes it until it is settled. */
    synchronized void delivered(long tag) {
        if (tag > latest) {
            inFlight.put(tag, clock.getAsLong());
            unbatched.add(tag);
            latest = tag;
        }
    }

    /** A delivery was handed to a batch; one the listener did not report yet counts as delivered now. */
    synchronized void received(long tag) {
        if (!unbatched.remove(tag) && tag > latest) {
            inFlight.put(tag, clock.getAsLong());
            latest = tag;
        }
    }

    /** Whether this delivery was handed to a batch, which then settles it; if not, whoever delivered it must. */
    synchronized boolean inBatch(long tag) {
        return !unbatched.contains(tag);
    }

    /** Acknowledges these deliveries, whose messages were stored; an IOException when the channel is gone. */
    synchronized void ack(Channel channel, Collection<Long> tags) throws IOException {
        for (Long tag : tags) {
            // A tag not in flight was settled already, or never delivered here: acknowledging it again would close
            // the channel (RabbitMQ) or acknowledge everything outstanding (Qpid).
            if (inFlight.remove(tag) != null) {
                unbatched.remove(tag);
                stored.add(tag);
            }
        }
        settle(channel);
    }

    /** Gives this delivery back to its queue; an IOException when the channel is gone, which gives it back too. */
    synchronized void requeue(Channel channel, long tag) throws IOException {
        if (!inFlight.containsKey(tag)) {
            return;
        }
        // Sent before the tag counts as settled, so no multiple ack can reach it first.
        channel.basicNack(tag, false, true);
        inFlight.remove(tag);
        unbatched.remove(tag);
        done.add(tag);
        settle(channel);
    }

    private synchronized void wakeUp(Channel channel) {
        wakeupPending = false;
        try {
            settle(channel);
        } catch (IOException | RuntimeException e) {
            // The channel is gone, and with it every delivery it had not acknowledged: the broker delivers them again.
        }
    }

    private void settle(Channel channel) throws IOException {
        long ackUpTo = 0;
        while (true) {
            if (stored.remove(settled + 1)) {
                ackUpTo = ++settled;
            } else if (done.remove(settled + 1)) {
                settled++;
            } else {
                break;
            }
        }
        if (ackUpTo > 0) {
            // Takes every stored tag up to ackUpTo; those done in between are no longer the channel's to ack.
            channel.basicAck(ackUpTo, true);
        }
        if (stored.isEmpty() && done.isEmpty()) {
            return;
        }
        Long blockedSince = inFlight.get(settled + 1);
        // A gap: a tag below a delivered one that the listener never reported, which no ack may ever cover.
        boolean gap = blockedSince == null;
        long waited = gap ? 0 : clock.getAsLong() - blockedSince;
        if (gap || waited >= MAX_WAIT_NANOS) {
            for (long tag : stored) {
                channel.basicAck(tag, false);
            }
            if (gap) {
                done.clear(); // nothing passes a gap
            } else {
                done.addAll(stored); // once the slow one is settled, the multiple acks go on past them
            }
            stored.clear();
        } else if (!stored.isEmpty()) {
            wakeUpIn(MAX_WAIT_NANOS - waited, channel);
        }
    }

    /** Settles again once the slow tag has waited its time, whether or not any other ack comes meanwhile. */
    private void wakeUpIn(long delayNanos, Channel channel) {
        long due = clock.getAsLong() + delayNanos;
        if (!wakeupPending || due < wakeupDue) {
            wakeupPending = true;
            wakeupDue = due;
            timer.after(delayNanos, () -> wakeUp(channel));
        }
    }
}
