package io.eventflow.tracing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.eventflow.support.EventflowProcess;
import io.eventflow.support.OwnDatabase;
import io.eventflow.support.OwnVhost;
import io.opentelemetry.proto.trace.v1.Span;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tracing with the roles in separate processes ({@code eventflow.roles}, as RolesIT runs them): the ingest, service 1
 * and service 2 as three JVMs of the packaged jar, each exporting to one OTLP/HTTP receiver in the test's JVM. One
 * activeEvent request is followed across all three: the ingest's publish is in the caller's trace, service 1's batch
 * links to it and holds its INSERT and republish, service 2's batch links to that republish and holds its INSERT.
 * Every role exports as {@code eventflow} ({@code spring.application.name}), so each is given its own name here to tell
 * the processes apart by the resource's {@code service.name}.
 */
@EnabledIfSystemProperty(named = "eventflow.embedded", matches = "false",
        disabledReason = "processes by role share the machine's RabbitMQ and PostgreSQL: external mode (-Pexternal) only")
class TracingRolesIT {

    @Test
    void oneActiveEventRequestIsTracedAcrossTheIngestService1AndService2Processes() throws Exception {
        List<EventflowProcess> processes = new ArrayList<>();
        try (OtlpReceiver receiver = new OtlpReceiver(0);
             OwnDatabase database = OwnDatabase.create("tracing_roles_it");
             OwnVhost vhost = OwnVhost.create("tracing_roles_it")) {
            String key = EventflowProcess.randomCipherKey();
            for (String role : List.of("ingest", "service1", "service2")) {
                processes.add(EventflowProcess.launch("tracing-roles-it-" + role, List.of(
                        "--eventflow.roles=" + role,
                        "--eventflow.embedded=false",
                        "--spring.rabbitmq.virtual-host=" + vhost.name(),
                        "--spring.datasource.url=" + database.url(),
                        "--eventflow.cipher.key=" + key,
                        "--management.otlp.tracing.endpoint=" + receiver.endpoint(),
                        "--management.tracing.sampling.probability=1.0",
                        "--spring.application.name=eventflow-" + role)));
            }
            processes.forEach(EventflowProcess::awaitReady);
            EventflowProcess ingest = processes.get(0);

            String requestTrace = HexFormat.of().formatHex(randomBytes(16));
            String requestSpan = HexFormat.of().formatHex(randomBytes(8));
            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + ingest.appPort() + "/api/events"))
                    .header("Content-Type", "application/json")
                    .header("traceparent", "00-" + requestTrace + "-" + requestSpan + "-01")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"eventType\":\"activeEvent\",\"count\":3}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).isEqualTo(202);
            await().atMost(Duration.ofSeconds(60)).until(() -> database.count("topic3") == 3);

            OtlpReceiver.Received publish = receiver.awaitSpan("the ingest process's publish to topic2 in the request's trace",
                    span -> span.name().equals("publish topic2") && span.traceId().equals(requestTrace));
            assertThat(publish.service()).isEqualTo("eventflow-ingest");
            assertThat(publish.kind()).isEqualTo(Span.SpanKind.SPAN_KIND_PRODUCER);

            // Service 1 may take the three events in more than one batch: follow the one that stored the first topic3 row.
            String republishTrace = firstTopic3Trace(database);
            OtlpReceiver.Received service1Batch = receiver.awaitSpan("service 1's batch, in the trace topic3's first row names",
                    span -> span.name().equals("process topic2") && span.traceId().equals(republishTrace));
            assertThat(service1Batch.service()).isEqualTo("eventflow-service1");
            assertThat(service1Batch.links()).containsExactly(requestTrace + "-" + publish.spanId());
            OtlpReceiver.Received republish = receiver.awaitSpan("service 1's republish to topic3 in its batch",
                    span -> span.name().equals("publish topic3") && receiver.descends(span, service1Batch));
            assertThat(republish.service()).isEqualTo("eventflow-service1");
            receiver.awaitSpan("service 1's INSERT in its batch",
                    span -> span.name().equals("sql") && receiver.descends(span, service1Batch));

            OtlpReceiver.Received service2Batch = receiver.awaitSpan("a batch of service 2 linked to service 1's republish",
                    span -> span.name().equals("process topic3")
                            && span.links().contains(republish.traceId() + "-" + republish.spanId()));
            assertThat(service2Batch.service()).isEqualTo("eventflow-service2");
            OtlpReceiver.Received service2Insert = receiver.awaitSpan("service 2's INSERT in its batch",
                    span -> span.name().equals("sql") && receiver.descends(span, service2Batch));
            assertThat(service2Insert.service()).isEqualTo("eventflow-service2");
        } finally {
            for (EventflowProcess process : processes) {
                process.close();
            }
        }
    }

    private static String firstTopic3Trace(OwnDatabase database) throws Exception {
        try (Connection connection = database.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT trace_id FROM topic3 ORDER BY id LIMIT 1")) {
            rows.next();
            return rows.getString(1);
        }
    }

    private static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }
}
