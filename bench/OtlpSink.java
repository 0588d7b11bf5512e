import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.net.httpserver.HttpServer;

/**
 * Where TRACING=1 bench/run exports its traces when no TRACE_ENDPOINT is given: an OTLP/HTTP endpoint that takes every
 * export (POST /v1/traces), answers it as a collector does (200, an empty ExportTraceServiceResponse) and counts the
 * exports and their bytes, so the run pays the whole exporting path without a collector installed. Writes the counts
 * to its file on every export: {@code java bench/OtlpSink.java PORT COUNTS_FILE}.
 */
public final class OtlpSink {

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        Path counts = Path.of(args[1]);
        AtomicLong exports = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.createContext("/v1/traces", exchange -> {
            long read = 0;
            try (InputStream body = exchange.getRequestBody()) {
                byte[] buffer = new byte[16384];
                for (int n; (n = body.read(buffer)) > 0; ) {
                    read += n;
                }
            }
            long total = bytes.addAndGet(read);
            long count = exports.incrementAndGet();
            synchronized (counts) {
                Files.writeString(counts, "exports=" + count + " bytes=" + total + "\n");
            }
            exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.start();
        System.err.println("OtlpSink listening on 127.0.0.1:" + port + "/v1/traces");
    }
}
