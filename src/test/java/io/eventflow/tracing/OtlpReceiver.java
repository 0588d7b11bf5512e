package io.eventflow.tracing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.Span;

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
