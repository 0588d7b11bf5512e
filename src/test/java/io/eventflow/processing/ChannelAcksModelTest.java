package io.eventflow.processing;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import com.rabbitmq.client.Channel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link ChannelAcks} against a model broker channel that knows which tags it delivered and which of them were stored
 * (their batch committed, or their dead letter confirmed), and fails on any ack that names a tag not outstanding or
 * covers one not stored: randomized interleavings of deliveries, listener failures, batches committed out of order by
 * three store threads, slow batches, requeues and repeated acks, on channels fresh or taken from a cache.
 */
class ChannelAcksModelTest {

    private static final int ROUNDS = 3000;
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void noAckCoversADeliveryNotStoredAndEveryDeliveryIsSettled() throws Exception {
        long first = Long.getLong("channelAcks.seed", System.nanoTime());
        Counts counts = new Counts();
        for (int round = 0; round < ROUNDS; round++) {
            long seed = first + round;
            try {
                new Round(new Random(seed), counts).run();
            } catch (AssertionError e) {
                throw new AssertionError("round with seed " + seed + " (again: -DchannelAcks.seed=" + seed + "): " + e.getMessage(), e);
            }
        }
        System.out.println("ChannelAcksModelTest: " + ROUNDS + " rounds from seed " + first + ": " + counts);
    }

    // What the fix costs: 100,000 deliveries in batches of 250, three store threads committing in any order.
    @Test
    void aSteadyWorkloadIsAcknowledgedWithMultipleAcksOnly() throws Exception {
        ModelChannel steady = workload(new Random(7), 0, false);
        ModelChannel failures = workload(new Random(7), 0.001, false);
        ModelChannel slow = workload(new Random(7), 0, true);
        System.out.printf("ChannelAcksModelTest: acks for 100,000 deliveries: steady %d multiple + %d single; 1 in 1,000 unreadable"
                        + " %d + %d; 1 batch in 100 slow (3 s) %d + %d%n", steady.multipleAcks, steady.singleAcks,
                failures.multipleAcks, failures.singleAcks, slow.multipleAcks, slow.singleAcks);

        assertThat(steady.singleAcks).isZero();
        assertThat(steady.multipleAcks).isPositive().isLessThanOrEqualTo(100_000 / 250);
    }

    /** One channel's 100,000 deliveries, stored by three threads in batches of 250, each batch 5 to 50 ms. */
    private static ModelChannel workload(Random random, double unreadable, boolean someSlow) throws Exception {
        ModelChannel broker = new ModelChannel(0);
        FakeTime time = new FakeTime();
        ChannelAcks acks = time.acks();
        List<Long> batch = new ArrayList<>();
        List<List<Long>> storing = new ArrayList<>();
        List<Long> doneAt = new ArrayList<>();
        for (int i = 0; i < 100_000 || !storing.isEmpty() || !batch.isEmpty(); i++) {
            if (i < 100_000) {
                broker.deliver(1);
                acks.delivered(broker.delivered);
                if (random.nextDouble() < unreadable) {
                    storeAndAck(broker, acks, List.of(broker.delivered)); // its dead letter confirmed at once
                } else {
                    acks.received(broker.delivered);
                    batch.add(broker.delivered);
                }
            }
            if (batch.size() == 250 || (i >= 100_000 && !batch.isEmpty())) {
                storing.add(List.copyOf(batch));
                doneAt.add(time.now + (someSlow && random.nextInt(100) == 0 ? 3_000 * MS : (5 + random.nextInt(45)) * MS));
                batch.clear();
            }
            while (storing.size() >= 3 || (i >= 100_000 && !storing.isEmpty())) {
                int first = doneAt.indexOf(doneAt.stream().min(Long::compare).orElseThrow());
                time.advance(Math.max(0, doneAt.get(first) - time.now));
                storeAndAck(broker, acks, storing.remove(first));
                doneAt.remove(first);
            }
            time.advance(MS / 20);
        }
        time.advance(2 * ChannelAcks.MAX_WAIT_NANOS);
        assertThat(broker.outstanding).isEmpty();
        return broker;
    }

    // Issue 25 A1: the first delivery fails on the listener; the next batch's multiple ack took it, unstored.
    @Test
    void aFirstDeliveryNoBatchHoldsIsNotTakenByTheNextBatchsMultipleAck() throws Exception {
        ModelChannel broker = new ModelChannel(0);
        FakeTime time = new FakeTime();
        ChannelAcks acks = time.acks();
        List<Long> good = LongStream.rangeClosed(2, 21).boxed().toList();
        broker.deliver(21);
        acks.delivered(1);
        assertThat(acks.inBatch(1)).as("the unreadable delivery is the listener's to settle").isFalse();
        good.forEach(tag -> {
            acks.delivered(tag);
            acks.received(tag);
        });

        broker.store(good);
        acks.ack(broker.channel, good);
        time.advance(ChannelAcks.MAX_WAIT_NANOS);
        assertThat(broker.outstanding).as("only the unreadable one, its dead letter not confirmed yet").containsExactly(1L);
        broker.store(List.of(1L));
        acks.ack(broker.channel, List.of(1L));

        assertThat(broker.outstanding).isEmpty();
    }

    // Issue 25 A2: good x 3, unreadable, good x 3: the unreadable one is settled once dead-lettered, and multiple acks return.
    @Test
    void aDeliveryThatFailsMidChannelIsSettledAndTheChannelReturnsToMultipleAcks() throws Exception {
        ModelChannel broker = new ModelChannel(0);
        ChannelAcks acks = new FakeTime().acks();
        broker.deliver(10);
        for (long tag = 1; tag <= 7; tag++) {
            acks.delivered(tag);
            if (tag != 4) {
                acks.received(tag);
            }
        }
        storeAndAck(broker, acks, List.of(1L, 2L, 3L));
        storeAndAck(broker, acks, List.of(5L, 6L, 7L));
        storeAndAck(broker, acks, List.of(4L)); // its dead letter confirmed
        for (long tag = 8; tag <= 10; tag++) {
            acks.delivered(tag);
            acks.received(tag);
        }
        storeAndAck(broker, acks, List.of(8L, 9L, 10L));

        assertThat(broker.outstanding).isEmpty();
        assertThat(broker.sent).as("acks sent").containsExactly("ack 3 multiple", "ack 7 multiple", "ack 10 multiple");
    }

    // Issue 25 A3: tags 3 and 4 stored behind a batch still holding 1 and 2, and nothing else happens on the channel.
    @Test
    void storedTagsBehindASlowBatchAreAcknowledgedWithinASecondWithoutAnyOtherAck() throws Exception {
        ModelChannel broker = new ModelChannel(0);
        ChannelAcks acks = ChannelAcks.of(broker.channel);
        broker.deliver(7);
        for (long tag = 1; tag <= 4; tag++) {
            acks.delivered(tag);
            acks.received(tag);
        }
        long storedAt = System.nanoTime();
        storeAndAck(broker, acks, List.of(3L, 4L));

        await().atMost(Duration.ofSeconds(10)).until(() -> broker.outstandingNow().equals(Set.of(1L, 2L, 5L, 6L, 7L)));
        System.out.println("ChannelAcksModelTest: stored tags behind a slow batch acknowledged after "
                + (System.nanoTime() - storedAt) / 1_000_000 + " ms");
        storeAndAck(broker, acks, List.of(1L, 2L));
        for (long tag = 5; tag <= 7; tag++) {
            acks.delivered(tag);
            acks.received(tag);
        }
        storeAndAck(broker, acks, List.of(5L, 6L, 7L));

        assertThat(broker.outstandingNow()).isEmpty();
        assertThat(broker.sentNow()).as("on their own after the wait, then multiple acks again")
                .containsExactly("ack 3", "ack 4", "ack 2 multiple", "ack 7 multiple");
    }

    // Issue 26: Qpid takes a multiple ack of a tag no longer outstanding as "every outstanding one"; RabbitMQ closes the channel.
    @Test
    void aSecondAckOfATagIsNeverSent() throws Exception {
        ModelChannel broker = new ModelChannel(0);
        ChannelAcks acks = new FakeTime().acks();
        broker.deliver(10);
        LongStream.rangeClosed(1, 10).forEach(tag -> {
            acks.delivered(tag);
            acks.received(tag);
        });
        storeAndAck(broker, acks, List.of(3L));
        storeAndAck(broker, acks, List.of(1L, 2L, 3L));
        acks.ack(broker.channel, List.of(3L));
        acks.ack(broker.channel, List.of(1L, 2L, 3L));
        storeAndAck(broker, acks, LongStream.rangeClosed(4, 10).boxed().toList());

        assertThat(broker.outstanding).isEmpty();
        assertThat(broker.sent).containsExactly("ack 3 multiple", "ack 10 multiple");
    }

    // A channel from the connection factory's cache: an earlier user may have left deliveries outstanding below ours.
    @Test
    void aChannelWhoseFirstTagIsNot1IsAcknowledgedOneTagAtATime() throws Exception {
        ModelChannel broker = new ModelChannel(6);
        broker.outstanding.add(4L);
        ChannelAcks acks = new FakeTime().acks();
        broker.deliver(3);
        LongStream.rangeClosed(7, 9).forEach(tag -> {
            acks.delivered(tag);
            acks.received(tag);
        });
        storeAndAck(broker, acks, List.of(7L, 8L, 9L));

        assertThat(broker.outstanding).as("the earlier user's delivery").containsExactly(4L);
        assertThat(broker.sent).containsExactly("ack 7", "ack 8", "ack 9");
    }

    private static void storeAndAck(ModelChannel broker, ChannelAcks acks, List<Long> tags) throws Exception {
        broker.store(tags);
        acks.ack(broker.channel, tags);
    }

    /** A fake clock and timer: the timer's tasks run when the clock passes their time. */
    private static final class FakeTime {
        private record Due(long at, long order, Runnable task) {
        }

        private final PriorityQueue<Due> due = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
        private long now;
        private long order;

        ChannelAcks acks() {
            return new ChannelAcks(() -> now, (delay, task) -> due.add(new Due(now + delay, order++, task)));
        }

        void advance(long nanos) {
            long until = now + nanos;
            while (!due.isEmpty() && due.peek().at <= until) {
                Due next = due.poll();
                now = Math.max(now, next.at);
                next.task.run();
            }
            now = until;
        }
    }

    /**
     * The broker's side of one consumer channel: the tags it delivered and which are outstanding, which were stored;
     * every ack or nack is checked as it comes. Tags up to {@code before} were an earlier user's.
     */
    private static final class ModelChannel {
        final TreeSet<Long> outstanding = new TreeSet<>();
        final Set<Long> stored = new HashSet<>();
        final List<String> sent = new ArrayList<>();
        final Channel channel;
        int singleAcks;
        int multipleAcks;
        long delivered;

        ModelChannel(long before) {
            delivered = before;
            channel = (Channel) Proxy.newProxyInstance(Channel.class.getClassLoader(), new Class<?>[] {Channel.class}, (proxy, method, args) ->
                    switch (method.getName()) {
                        case "basicAck" -> {
                            ack((Long) args[0], (Boolean) args[1]);
                            yield null;
                        }
                        case "basicNack" -> {
                            nack((Long) args[0], (Boolean) args[1], (Boolean) args[2]);
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> "model channel";
                        default -> throw new AssertionError("unexpected call " + method.getName());
                    });
        }

        /** Delivers the next {@code count} tags. */
        synchronized void deliver(int count) {
            for (int i = 0; i < count; i++) {
                outstanding.add(++delivered);
            }
        }

        synchronized void store(List<Long> tags) {
            stored.addAll(tags);
        }

        synchronized Set<Long> outstandingNow() {
            return Set.copyOf(outstanding);
        }

        synchronized List<String> sentNow() {
            return List.copyOf(sent);
        }

        private synchronized void ack(long tag, boolean multiple) {
            sent.add("ack " + tag + (multiple ? " multiple" : ""));
            if (!outstanding.contains(tag)) {
                throw new AssertionError(sent.get(sent.size() - 1) + " names a tag that is not outstanding (acks sent: " + sent + ")");
            }
            Set<Long> taken = multiple ? new TreeSet<>(outstanding.headSet(tag, true)) : Set.of(tag);
            for (long each : taken) {
                if (!stored.contains(each)) {
                    throw new AssertionError(sent.get(sent.size() - 1) + " takes tag " + each + ", which is not stored (acks sent: " + sent + ")");
                }
            }
            outstanding.removeAll(taken);
            if (multiple) {
                multipleAcks++;
            } else {
                singleAcks++;
            }
        }

        private synchronized void nack(long tag, boolean multiple, boolean requeue) {
            sent.add("nack " + tag);
            assertThat(multiple).as("a multiple nack gives back more than the one that failed").isFalse();
            assertThat(requeue).isTrue();
            assertThat(outstanding).as("nack names a tag that is not outstanding").contains(tag);
            outstanding.remove(tag);
        }
    }

    /** What the rounds sent, for the report. */
    private static final class Counts {
        long messages;
        long singleAcks;
        long multipleAcks;
        long nacks;

        @Override
        public String toString() {
            return messages + " deliveries, " + multipleAcks + " multiple acks, " + singleAcks + " single acks, " + nacks + " nacks";
        }
    }

    /**
     * One consumer channel from its first delivery until everything it delivered is settled. The listener delivers in
     * tag order and sometimes fails before the batch (then it dead-letters the message, which is confirmed or not); a
     * batch closes at its size or at random; three store threads take batches and finish them in any order, some slow,
     * some failing transiently (each message given back); sometimes a finished batch is acknowledged twice.
     */
    private static final class Round {
        private final Random random;
        private final Counts counts;
        private final FakeTime time = new FakeTime();
        private final ChannelAcks acks = time.acks();
        private final ModelChannel broker;
        private final int batchSize;
        private final double listenerFailures;
        private final double slowBatches;
        private final List<Long> open = new ArrayList<>();
        private final Deque<List<Long>> waiting = new ArrayDeque<>();
        private final List<Storing> storing = new ArrayList<>();
        private final List<List<Long>> acknowledged = new ArrayList<>();
        private int toDeliver;
        private Long deadLettering;

        private record Storing(List<Long> tags, long doneAt) {
        }

        Round(Random random, Counts counts) {
            this.random = random;
            this.counts = counts;
            // Mostly a fresh channel; sometimes one a dead-letter browse used, which may have left a delivery outstanding.
            long before = random.nextInt(4) == 0 ? 1 + random.nextInt(5) : 0;
            broker = new ModelChannel(before);
            if (before > 0 && random.nextBoolean()) {
                broker.outstanding.add(1 + (long) random.nextInt((int) before));
            }
            toDeliver = 1 + random.nextInt(150);
            batchSize = 1 + random.nextInt(20);
            listenerFailures = new double[] {0, 0.02, 0.2, 0.5}[random.nextInt(4)];
            slowBatches = new double[] {0, 0.05, 0.3}[random.nextInt(3)];
        }

        void run() throws Exception {
            Set<Long> leftByEarlierUser = Set.copyOf(broker.outstanding);
            int steps = 0;
            while (toDeliver > 0 || deadLettering != null || !open.isEmpty() || !waiting.isEmpty() || !storing.isEmpty()) {
                step();
                assertThat(++steps).as("steps").isLessThan(1_000_000);
            }
            if (random.nextBoolean()) {
                acknowledgeAgain();
            }
            time.advance(2 * ChannelAcks.MAX_WAIT_NANOS);
            assertThat(broker.outstanding).as("outstanding once every batch and dead letter is done (never held forever)")
                    .isEqualTo(leftByEarlierUser);
            counts.singleAcks += broker.singleAcks;
            counts.multipleAcks += broker.multipleAcks;
        }

        private void step() throws Exception {
            switch (random.nextInt(6)) {
                case 0, 1 -> deliver();
                case 2 -> {
                    if (!open.isEmpty() && random.nextInt(3) == 0) {
                        closeBatch();
                    }
                }
                case 3 -> finishDeadLetter();
                case 4 -> finishABatch();
                default -> {
                    if (random.nextInt(10) == 0) {
                        acknowledgeAgain();
                    }
                    time.advance(random.nextInt(8) == 0 ? random.nextLong(2 * ChannelAcks.MAX_WAIT_NANOS) : random.nextLong(30 * MS));
                }
            }
            while (storing.size() < 3 && !waiting.isEmpty()) {
                boolean slow = random.nextDouble() < slowBatches;
                long takes = slow ? ChannelAcks.MAX_WAIT_NANOS + random.nextLong(10 * ChannelAcks.MAX_WAIT_NANOS) : random.nextLong(200 * MS);
                storing.add(new Storing(waiting.poll(), time.now + takes));
            }
        }

        /** The listener thread: blocked while it dead-letters a message. */
        private void deliver() {
            if (toDeliver == 0 || deadLettering != null) {
                return;
            }
            toDeliver--;
            counts.messages++;
            broker.deliver(1);
            long tag = broker.delivered;
            acks.delivered(tag);
            if (random.nextDouble() < listenerFailures) {
                assertThat(acks.inBatch(tag)).as("a delivery no batch took").isFalse();
                deadLettering = tag;
                return;
            }
            acks.received(tag);
            open.add(tag);
            assertThat(acks.inBatch(tag)).as("a delivery handed to a batch").isTrue();
            if (open.size() == batchSize) {
                closeBatch();
            }
        }

        private void closeBatch() {
            waiting.add(List.copyOf(open));
            open.clear();
        }

        private void finishDeadLetter() throws Exception {
            if (deadLettering == null) {
                return;
            }
            if (random.nextInt(5) > 0) {
                broker.store(List.of(deadLettering));
                acks.ack(broker.channel, List.of(deadLettering));
            } else {
                requeue(deadLettering);
            }
            deadLettering = null;
        }

        /** A store thread ends its batch, once its time has come: in any order. */
        private void finishABatch() throws Exception {
            List<Storing> ready = storing.stream().filter(batch -> batch.doneAt <= time.now).toList();
            if (ready.isEmpty()) {
                return;
            }
            Storing batch = ready.get(random.nextInt(ready.size()));
            storing.remove(batch);
            if (random.nextInt(15) == 0) {
                for (long tag : batch.tags) {
                    requeue(tag); // a transient fault: the batch's messages go back to the queue
                }
            } else {
                broker.store(batch.tags);
                acks.ack(broker.channel, batch.tags);
                acknowledged.add(batch.tags);
            }
        }

        private void requeue(long tag) throws Exception {
            acks.requeue(broker.channel, tag);
            counts.nacks++;
            toDeliver++; // the broker delivers it again, with a new tag
        }

        /** A batch acknowledged a second time (a bug elsewhere): no ack may go out for it. */
        private void acknowledgeAgain() throws Exception {
            if (!acknowledged.isEmpty()) {
                acks.ack(broker.channel, acknowledged.get(random.nextInt(acknowledged.size())));
            }
        }
    }
}
