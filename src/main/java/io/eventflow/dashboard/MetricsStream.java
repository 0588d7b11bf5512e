package io.eventflow.dashboard;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.api.ProblemException;
import io.eventflow.config.EventflowProperties;
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
 * while no page listens.
 */
@RestController
public class MetricsStream implements DisposableBean {

    private static final Logger LOG = LoggerFactory.getLogger(MetricsStream.class);
    // A page reconnects on its own (EventSource) after this; it keeps idle connections from piling up.
    private static final Duration CONNECTION_LIFETIME = Duration.ofMinutes(10);
    private static final long RECONNECT_DELAY_MS = 2000;

    private final PipelineMetrics metrics;
    private final ObjectMapper json;
    private final Set<SseEmitter> listeners = ConcurrentHashMap.newKeySet();
    private final CamelContext camel;
    private final ScheduledExecutorService ticker;

    public MetricsStream(PipelineMetrics metrics, ObjectMapper json, EventflowProperties properties, CamelContext camel) {
        this.metrics = metrics;
        this.json = json;
        this.camel = camel;
        this.ticker = camel.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "dashboard-stream");
        long interval = properties.dashboard().streamInterval().toMillis();
        ticker.scheduleWithFixedDelay(this::broadcast, interval, interval, TimeUnit.MILLISECONDS);
    }

    @GetMapping(path = "/api/metrics/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    public SseEmitter stream() {
        SseEmitter emitter = new SseEmitter(CONNECTION_LIFETIME.toMillis());
        emitter.onCompletion(() -> listeners.remove(emitter));
        emitter.onTimeout(emitter::complete);
        emitter.onError(error -> listeners.remove(emitter));
        listeners.add(emitter);
        // The first snapshot goes out at once, so a page need not wait for the next tick.
        ticker.execute(() -> send(emitter, event()));
        return emitter;
    }

    private void broadcast() {
        if (listeners.isEmpty()) {
            return;
        }
        Event event = event();
        listeners.forEach(listener -> send(listener, event));
    }

    /** One event's name and JSON data, taken once per tick and sent to every listener. */
    private record Event(String name, String data) {
    }

    private Event event() {
        try {
            return new Event("metrics", json.writeValueAsString(metrics.snapshot()));
        } catch (ProblemException e) {
            return problem(e.body());
        } catch (JsonProcessingException | RuntimeException e) {
            LOG.warn("Dashboard snapshot failed: {}", e.toString());
            return problem(new ProblemException(500, "Internal error", "the snapshot failed; see the server log").body());
        }
    }

    private Event problem(Map<String, Object> body) {
        try {
            return new Event("problem", json.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void send(SseEmitter emitter, Event event) {
        try {
            emitter.send(SseEmitter.event().name(event.name()).reconnectTime(RECONNECT_DELAY_MS)
                    .data(event.data(), MediaType.APPLICATION_JSON));
        } catch (IOException | IllegalStateException e) {
            // The page went away; Spring completes the emitter.
            listeners.remove(emitter);
        }
    }

    @Override
    public void destroy() {
        camel.getExecutorServiceManager().shutdownNow(ticker);
        listeners.forEach(SseEmitter::complete);
        listeners.clear();
    }
}
