package io.eventflow.tracing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import io.eventflow.support.EventflowIntegrationTest;
import io.opentelemetry.proto.trace.v1.Span;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tracing on (an OTLP endpoint set, every trace sampled), every role in this process, exported to a real OTLP/HTTP
 * receiver that decodes the protobuf: the ingest's publish is in the caller's trace; service 1's batch is a consumer
 * span whose exported links name that publish (trace and span id, once for the request's three events) and whose trace
 * holds its INSERT and its republish to topic3; a batch of service 2 links to that republish and holds its INSERT; the
 * rows and the dashboard name the traces. TracingRolesIT proves the same with the roles in separate processes.
 */
@AutoConfigureObservability // Spring Boot tests replace the tracer with a no-op one otherwise
@TestPropertySource(properties = {
        // A context of its own: the embedded PostgreSQL of the shared default context must not meet this one's on one folder.
        "eventflow.data-dir=target/test-data/tracing",
        "management.tracing.sampling.probability=1.0",
        "eventflow.dashboard.trace-url=http://tracing.test/trace/{traceId}"})
class TracingTest extends EventflowIntegrationTest {

    private static final OtlpReceiver RECEIVER = receiver();

    @DynamicPropertySource
    static void otlp(DynamicPropertyRegistry properties) {
        properties.add("management.otlp.tracing.endpoint", RECEIVER::endpoint);
    }

    @AfterAll
    static void stopReceiver() {
        RECEIVER.close();
    }

    @Test
    void oneActiveEventRequestIsTracedFromIngestThroughService1ToService2() {
        String requestTrace = HexFormat.of().formatHex(randomBytes(16));
        String requestSpan = HexFormat.of().formatHex(randomBytes(8));
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.APPLICATION_JSON);
        headers.set("traceparent", "00-" + requestTrace + "-" + requestSpan + "-01");

        ResponseEntity<Map> answer = http.postForEntity("/api/events",
                new HttpEntity<>("{\"eventType\":\"activeEvent\",\"count\":3}", headers), Map.class);

        assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("topic3") == 3);

        // The ingest honoured the request's traceparent: its publish to topic2 is in the caller's trace.
        OtlpReceiver.Received ingestPublish = RECEIVER.awaitSpan("the ingest's publish to topic2 in the request's trace",
                span -> span.name().equals("publish topic2") && span.traceId().equals(requestTrace));
        assertThat(ingestPublish.kind()).isEqualTo(Span.SpanKind.SPAN_KIND_PRODUCER);
        // Awaited: the request's span ends after its publish and may come in a later export.
        RECEIVER.awaitSpan("the ingest's span of the request, a child of the caller's",
                span -> span.traceId().equals(requestTrace) && span.parentSpanId().equals(requestSpan));

        // Service 1's batch is one span, a trace of its own, linked to the ingest's publish (a batch has many parents);
        // its INSERT and its republish to topic3 are in it, below Camel's span of its store route. The republish's trace is
        // the one topic3's rows name. (Service 1 may store the three events in more than one batch: each a trace.)
        String republishTrace = jdbc.queryForList("SELECT trace_id FROM topic3 ORDER BY id", String.class).get(0);
        OtlpReceiver.Received service1Batch = RECEIVER.awaitSpan("service 1's batch, in the trace topic3's rows name",
                span -> span.name().equals("process topic2") && span.traceId().equals(republishTrace));
        assertThat(service1Batch.kind()).isEqualTo(Span.SpanKind.SPAN_KIND_CONSUMER);
        assertThat(service1Batch.parentSpanId()).isEmpty();
        assertThat(service1Batch.links()).containsExactly(requestTrace + "-" + ingestPublish.spanId());
        OtlpReceiver.Received republish = RECEIVER.awaitSpan("service 1's republish to topic3 in its batch",
                span -> span.name().equals("publish topic3") && RECEIVER.descends(span, service1Batch));
        RECEIVER.awaitSpan("service 1's INSERT in its batch", span -> span.name().equals("sql") && RECEIVER.descends(span, service1Batch));
        // Service 2's batches: each linked to the republishes of the events it stored, with its INSERT in it.
        OtlpReceiver.Received service2Batch = RECEIVER.awaitSpan("a batch of service 2 linked to service 1's republish",
                span -> span.name().equals("process topic3")
                        && span.links().contains(republish.traceId() + "-" + republish.spanId()));
        assertThat(service2Batch.kind()).isEqualTo(Span.SpanKind.SPAN_KIND_CONSUMER);
        RECEIVER.awaitSpan("service 2's INSERT in its batch", span -> span.name().equals("sql") && RECEIVER.descends(span, service2Batch));

        // Each row names the trace its message came from.
        assertThat(jdbc.queryForList("SELECT trace_id FROM topic2", String.class)).containsOnly(requestTrace);
        assertThat(jdbc.queryForList("SELECT trace_id FROM topic3", String.class)).allSatisfy(trace -> assertThat(
                RECEIVER.spans()).anyMatch(span -> span.name().equals("publish topic3") && span.traceId().equals(trace)));

        // The dashboard's event trace shows the request's trace, and links to the tracing backend.
        String eventId = jdbc.queryForList("SELECT event_id::text FROM topic3", String.class).get(0);
        Map<String, Object> trace = http.getForEntity("/api/events/" + eventId, Map.class).getBody();
        assertThat(trace).containsEntry("traceId", requestTrace)
                .containsEntry("traceUrl", "http://tracing.test/trace/" + requestTrace);
        List<Map<String, Object>> stages = (List<Map<String, Object>>) trace.get("stages");
        String eventRepublishTrace = jdbc.queryForObject("SELECT trace_id FROM topic3 WHERE event_id = ?::uuid", String.class, eventId);
        assertThat(stages).extracting(stage -> stage.get("traceId")).containsExactly(requestTrace, eventRepublishTrace);
    }

    @Test
    void aRequestWithoutTraceContextStartsATraceAtTheIngest() {
        ResponseEntity<Map> answer = postEvents("{\"eventType\":\"passiveEvent\",\"count\":2}");

        assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("topic1") == 2);
        List<String> traceIds = jdbc.queryForList("SELECT DISTINCT trace_id FROM topic1", String.class);
        assertThat(traceIds).hasSize(1).allSatisfy(id -> assertThat(id).matches("[0-9a-f]{32}"));
        RECEIVER.awaitSpan("the ingest's publish to topic1 in the trace the rows name",
                span -> span.name().equals("publish topic1") && span.traceId().equals(traceIds.get(0)));
    }

    private static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }

    private static OtlpReceiver receiver() {
        try {
            return new OtlpReceiver(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
