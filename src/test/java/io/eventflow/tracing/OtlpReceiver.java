package io.eventflow.tracing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.Span;
import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;

/**
 * An OTLP/HTTP trace receiver in the test's JVM (what a collector, Jaeger or Tempo listens with on 4318): decodes
 * each protobuf export at {@code /v1/traces} and keeps its spans, with the service that sent them.
 */
final class OtlpReceiver implements AutoCloseable {

    /** A received span, ids in hex as a tracing backend shows them. */
    record Received(String service, String traceId, String spanId, String parentSpanId, String name, Span.SpanKind kind,
            List<String> links) {
    }

    private final HttpServer server;
    private final List<Received> spans = new CopyOnWriteArrayList<>();

    OtlpReceiver(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/v1/traces", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                keep(ExportTraceServiceRequest.parseFrom(body));
                exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, -1);
            } catch (IOException | RuntimeException e) {
                exchange.sendResponseHeaders(400, -1);
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/traces";
    }

    List<Received> spans() {
        return List.copyOf(spans);
    }

    /** The first span received that matches, waiting up to 30 s for it; failing with {@code what} and all spans received. */
    Received awaitSpan(String what, Predicate<Received> match) {
        try {
            return await(what).atMost(Duration.ofSeconds(30))
                    .until(() -> spans.stream().filter(match).findFirst(), Optional::isPresent)
                    .orElseThrow();
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no span: " + what + "; received " + spans(), e);
        }
    }

    /** Whether {@code ancestor} is {@code span}'s parent, or its parent's, and so on, among the spans received. */
    boolean descends(Received span, Received ancestor) {
        List<Received> received = spans();
        String parent = span.parentSpanId();
        for (int depth = 0; depth < received.size() && !parent.isEmpty(); depth++) {
            if (parent.equals(ancestor.spanId())) {
                return span.traceId().equals(ancestor.traceId());
            }
            String child = parent;
            parent = received.stream().filter(candidate -> candidate.spanId().equals(child)).findFirst()
                    .map(Received::parentSpanId).orElse("");
        }
        return false;
    }

    private void keep(ExportTraceServiceRequest export) {
        export.getResourceSpansList().forEach(resource -> {
            String service = resource.getResource().getAttributesList().stream()
                    .filter(attribute -> attribute.getKey().equals("service.name"))
                    .map(attribute -> attribute.getValue().getStringValue()).findFirst().orElse("");
            resource.getScopeSpansList().forEach(scope -> scope.getSpansList().forEach(span -> spans.add(new Received(service,
                    hex(span.getTraceId().toByteArray()), hex(span.getSpanId().toByteArray()),
                    hex(span.getParentSpanId().toByteArray()), span.getName(), span.getKind(),
                    span.getLinksList().stream().map(link -> hex(link.getTraceId().toByteArray()) + "-"
                            + hex(link.getSpanId().toByteArray())).toList()))));
        });
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
