package io.eventflow.dashboard;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.api.ProblemException;
import io.eventflow.config.EventflowProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * {@code GET /api/metrics/stream}: the metrics snapshot pushed as server-sent events, every
 * {@code eventflow.dashboard.stream-interval}. A Spring MVC controller because Camel's platform-http answers a
 * request with one body and cannot stream. One snapshot per tick is shared by every open page, and none is taken
 * while no page listens; a new page gets the last one at once.
 * <p>
 * At most {@code stream-max-listeners} pages listen (past it: 503 with Retry-After). Each page has its own sender
 * and holds at most one snapshot waiting (the newest), so a page that stops reading only ever blocks its own write;
 * a write still blocked after {@code stream-send-timeout} drops the page. Its slot is free again once that write
 * ends (the server's write timeout at the latest), so blocked senders never outnumber the cap.
 */
@RestController
public class MetricsStream implements DisposableBean {

    private static final Logger LOG = LoggerFactory.getLogger(MetricsStream.class);
    // A page reconnects on its own (EventSource) after this; it keeps idle connections from piling up.
    private static final Duration CONNECTION_LIFETIME = Duration.ofMinutes(10);
    private static final long RECONNECT_DELAY_MS = 2000;

    private final PipelineMetrics metrics;
    private final ObjectMapper json;
    private final Set<Listener> listeners = ConcurrentHashMap.newKeySet();
    private final Semaphore slots;
    private final int maxListeners;
    private final long intervalNanos;
    private final long sendTimeoutNanos;
    private final int retryAfterSeconds;
    private final Counter dropped;
    private final CamelContext camel;
    private final ScheduledExecutorService ticker;
    private final ExecutorService senders;
    private final Object snapshotLock = new Object();
    private volatile Snapshot last;

    public MetricsStream(PipelineMetrics metrics, ObjectMapper json, EventflowProperties properties, CamelContext camel,
                         MeterRegistry meters) {
        EventflowProperties.Dashboard settings = properties.dashboard();
        this.metrics = metrics;
        this.json = json;
        this.camel = camel;
        this.maxListeners = settings.streamMaxListeners();
        this.slots = new Semaphore(maxListeners);
        this.intervalNanos = settings.streamInterval().toNanos();
        this.sendTimeoutNanos = settings.streamSendTimeout().toNanos();
        // The page polls every refresh-interval meanwhile; no sooner is a slot likely to free.
        this.retryAfterSeconds = (int) Math.max(1, settings.refreshInterval().toSeconds());
        this.dropped = Counter.builder("eventflow.dashboard.stream.dropped")
                .description("stream listeners dropped because a write to them did not finish within stream-send-timeout")
                .register(meters);
        Gauge.builder("eventflow.dashboard.stream.listeners", listeners, Set::size)
                .description("pages listening to /api/metrics/stream").register(meters);
        this.ticker = camel.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "dashboard-stream");
        // At most one send per listener at a time, and listeners are capped: the pool stays within the cap.
        this.senders = camel.getExecutorServiceManager().newCachedThreadPool(this, "dashboard-stream-send");
        long interval = settings.streamInterval().toMillis();
        ticker.scheduleWithFixedDelay(this::broadcast, interval, interval, TimeUnit.MILLISECONDS);
    }

    @GetMapping(path = "/api/metrics/stream")
    public SseEmitter stream(HttpServletResponse response) throws IOException {
        if (!slots.tryAcquire()) {
            ProblemException.unavailable("Too many stream listeners", maxListeners + " pages already listen to the stream "
                    + "(eventflow.dashboard.stream-max-listeners); poll /api/metrics, or connect again in "
                    + retryAfterSeconds + " s", retryAfterSeconds).writeTo(response);
            // Null: the answer is written, Spring MVC has nothing left to do.
            return null;
        }
        SseEmitter emitter = new SseEmitter(CONNECTION_LIFETIME.toMillis());
        Listener listener = new Listener(emitter);
        emitter.onCompletion(listener::close);
        emitter.onTimeout(listener::close);
        emitter.onError(error -> listener.close());
        listeners.add(listener);
        listener.offer(current());
        return emitter;
    }

    private void broadcast() {
        long now = System.nanoTime();
        listeners.forEach(listener -> listener.dropIfStuck(now));
        if (listeners.isEmpty()) {
            return;
        }
        Event event = take();
        listeners.forEach(listener -> listener.offer(event));
    }

    /** The last snapshot while it is younger than one interval, else a new one, taken once for every caller. */
    private Event current() {
        Snapshot snapshot = last;
        if (snapshot != null && System.nanoTime() - snapshot.takenAt() < intervalNanos) {
            return snapshot.event();
        }
        synchronized (snapshotLock) {
            snapshot = last;
            if (snapshot != null && System.nanoTime() - snapshot.takenAt() < intervalNanos) {
                return snapshot.event();
            }
            return take();
        }
    }

    private Event take() {
        Event event = event();
        last = new Snapshot(event, System.nanoTime());
        return event;
    }

    /** One event's name and JSON data, taken once per tick and sent to every listener. */
    private record Event(String name, String data) {
    }

    private record Snapshot(Event event, long takenAt) {
    }

    private Event event() {
        try {
            return new Event("metrics", json.writeValueAsString(metrics.snapshot()));
        } catch (ProblemException e) {
            return problem(e.body());
        } catch (JsonProcessingException | RuntimeException e) {
            LOG.warn("Dashboard snapshot failed: {}", e.toString());
            return problem(ProblemException.internal("the snapshot").body());
        }
    }

    private Event problem(Map<String, Object> body) {
        try {
            return new Event("problem", json.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One open page: the newest snapshot waiting for it, and whether (since when) a write to it is under way. */
    private final class Listener {
        private final SseEmitter emitter;
        private final AtomicReference<Event> waiting = new AtomicReference<>();
        private final AtomicBoolean sending = new AtomicBoolean();
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile long writingSince;
        private volatile boolean droppedForSlowness;

        Listener(SseEmitter emitter) {
            this.emitter = emitter;
        }

        void offer(Event event) {
            if (droppedForSlowness) {
                return;
            }
            waiting.set(event);
            if (sending.compareAndSet(false, true)) {
                senders.execute(this::drain);
            }
        }

        private void drain() {
            while (true) {
                Event event = waiting.getAndSet(null);
                if (event == null) {
                    sending.set(false);
                    // An offer between getAndSet and set(false) found sending true and left its event to us.
                    if (waiting.get() == null || !sending.compareAndSet(false, true)) {
                        return;
                    }
                    continue;
                }
                if (!write(event)) {
                    return;
                }
            }
        }

        private boolean write(Event event) {
            writingSince = System.nanoTime();
            try {
                emitter.send(SseEmitter.event().name(event.name()).reconnectTime(RECONNECT_DELAY_MS)
                        .data(event.data(), MediaType.APPLICATION_JSON));
            } catch (IOException | IllegalStateException e) {
                // The page went away, or its write failed after it was dropped; Spring completes the emitter.
                close();
                return false;
            } finally {
                writingSince = 0;
            }
            if (droppedForSlowness) {
                // The page read again after all, too late: it reconnects (EventSource) and gets the last snapshot.
                emitter.complete();
                return false;
            }
            return true;
        }

        /** Called on the ticker: never touches the emitter, whose lock the blocked write holds. */
        void dropIfStuck(long now) {
            long since = writingSince;
            if (since != 0 && now - since > sendTimeoutNanos && !droppedForSlowness) {
                droppedForSlowness = true;
                listeners.remove(this);
                dropped.increment();
                LOG.info("Dropped a metrics stream listener: a write to it has not finished for {} ms",
                        TimeUnit.NANOSECONDS.toMillis(now - since));
            }
        }

        void close() {
            listeners.remove(this);
            if (closed.compareAndSet(false, true)) {
                slots.release();
            }
        }
    }

    @Override
    public void destroy() {
        camel.getExecutorServiceManager().shutdownNow(ticker);
        listeners.forEach(listener -> listener.emitter.complete());
        listeners.clear();
        camel.getExecutorServiceManager().shutdownNow(senders);
    }
}
