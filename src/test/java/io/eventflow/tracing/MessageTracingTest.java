package io.eventflow.tracing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanLimits;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

import static org.assertj.core.api.Assertions.assertThat;

/** A consumer batch's span on a real OpenTelemetry SDK: its links (distinct, bounded), its children, and nothing when off. */
class MessageTracingTest {

    private final List<SpanData> exported = new CopyOnWriteArrayList<>();
    // More links allowed than Eventflow's bound, so the bound checked is Eventflow's own.
    private final SdkTracerProvider sdk = SdkTracerProvider.builder()
            .setSpanLimits(SpanLimits.builder().setMaxNumberOfLinks(1_000).build())
            .addSpanProcessor(SimpleSpanProcessor.create(new Collecting())).build();
    private final OtelTracer tracer = new OtelTracer(sdk.get("test"), new OtelCurrentTraceContext(), event -> { });
    private final MessageTracing tracing = new MessageTracing(
            new StaticListableBeanFactory(Map.of("tracer", tracer)).getBeanProvider(Tracer.class),
            new StaticListableBeanFactory(Map.of("propagator", new OtelPropagator(
                    ContextPropagators.create(W3CTraceContextPropagator.getInstance()), sdk.get("test"))))
                    .getBeanProvider(Propagator.class));

    @AfterEach
    void stop() {
        sdk.close();
    }

    @Test
    void aBatchSpanLinksEachDistinctProducerSpanOnceAndAtMost128() {
        List<String> producers = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            producers.add(traceparent(i));
        }
        List<String> batch = new ArrayList<>(producers);
        batch.addAll(producers.subList(0, 10));
        batch.add(null);
        batch.add("not-a-traceparent");

        tracing.consuming("topic1", batch, () -> null).close();

        SpanData span = exported.get(0);
        assertThat(span.getName()).isEqualTo("process topic1");
        assertThat(span.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(span.getParentSpanContext().isValid()).isFalse();
        assertThat(span.getAttributes().get(AttributeKey.longKey("messaging.batch.message_count"))).isEqualTo(212);
        assertThat(span.getLinks()).hasSize(MessageTracing.MAX_LINKS)
                .extracting(link -> "00-" + link.getSpanContext().getTraceId() + "-" + link.getSpanContext().getSpanId() + "-01")
                .containsExactlyElementsOf(producers.subList(0, MessageTracing.MAX_LINKS));
        assertThat(span.getAttributes().get(AttributeKey.longKey("eventflow.links.dropped"))).isEqualTo(72);
    }

    @Test
    void whatRunsInABatchIsItsChildAndAFailedBatchEndsInError() {
        MessageTracing.Scope batch = tracing.consuming("topic3", List.of(traceparent(1)), () -> new IllegalStateException("down"));
        Span insert = tracer.nextSpan().name("sql").start();
        insert.end();
        batch.close();

        SpanData batchSpan = exported.stream().filter(span -> span.getName().equals("process topic3")).findFirst().orElseThrow();
        SpanData insertSpan = exported.stream().filter(span -> span.getName().equals("sql")).findFirst().orElseThrow();
        assertThat(insertSpan.getParentSpanId()).isEqualTo(batchSpan.getSpanId());
        assertThat(insertSpan.getTraceId()).isEqualTo(batchSpan.getTraceId());
        assertThat(batchSpan.getLinks()).extracting(LinkData::getSpanContext)
                .allSatisfy(link -> assertThat(link.getTraceId()).isNotEqualTo(batchSpan.getTraceId()));
        assertThat(batchSpan.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(tracer.currentSpan()).isNull();
    }

    @Test
    void tracingOffMakesNoBatchSpan() {
        assertThat(MessageTracing.OFF.consuming("topic1", List.of(traceparent(1)), () -> null)).isSameAs(MessageTracing.Scope.NONE);
        assertThat(MessageTracing.OFF.enabled()).isFalse();
    }

    /** A sampled W3C traceparent, its trace and span ids made of {@code i}. */
    private static String traceparent(int i) {
        String id = HexFormat.of().toHexDigits(i + 1);
        return "00-" + "0".repeat(24) + id + "-" + "0".repeat(8) + id + "-01";
    }

    private final class Collecting implements SpanExporter {

        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            exported.addAll(spans);
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
