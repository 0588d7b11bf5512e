package io.eventflow.tracing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

import io.eventflow.support.EventflowProcess;
import io.eventflow.support.OwnDatabase;
import io.eventflow.support.OwnVhost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tracing across processes: ingest, service 1 and service 2 as three processes of the jar ({@code eventflow.roles}),
 * each exporting to one OTLP/HTTP receiver in the test's JVM. The trace context crosses the broker twice: service 1's
 * batch links to the ingest's publish, service 2's batch to service 1's republish, each exported by its own process.
 */
@EnabledIfSystemProperty(named = "eventflow.embedded", matches = "false",
        disabledReason = "processes by role share the machine's RabbitMQ and PostgreSQL: external mode (-Pexternal) only")
class TracingRolesIT {

    @Test
    void oneRequestIsTracedAcrossTheIngestService1AndService2Processes() throws Exception {
        List<EventflowProcess> processes = new ArrayList<>();
        try (OtlpReceiver receiver = new OtlpReceiver(25811);
             OwnDatabase database = OwnDatabase.create("eventflow_trace_roles_it");
             OwnVhost vhost = OwnVhost.create("trace_roles_it")) {
            String key = EventflowProcess.randomCipherKey();
            for (String role : List.of("ingest", "service1", "service2")) {
                processes.add(EventflowProcess.launch("trace-roles-it-" + role, List.of(
                        "--eventflow.roles=" + role,
                        "--eventflow.embedded=false",
                        "--spring.application.name=eventflow-" + role,
                        "--management.otlp.tracing.endpoint=" + receiver.endpoint(),
                        "--management.tracing.sampling.probability=1.0",
                        "--spring.rabbitmq.virtual-host=" + vhost.name(),
                        "--spring.datasource.url=" + database.url(),
                        "--eventflow.cipher.key=" + key)));
            }
            processes.forEach(EventflowProcess::awaitReady);
            String requestTrace = HexFormat.of().formatHex(random(16));
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + processes.get(0).appPort() + "/api/events"))
                    .header("Content-Type", "application/json")
                    .header("traceparent", "00-" + requestTrace + "-" + HexFormat.of().formatHex(random(8)) + "-01")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"eventType\":\"activeEvent\",\"count\":5}")).build();

            HttpResponse<String> answer = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());

            assertThat(answer.statusCode()).isEqualTo(202);
            await().atMost(Duration.ofSeconds(60)).until(() -> database.count("topic3") == 5);
            OtlpReceiver.Received ingestPublish = awaitSpan(receiver, "the ingest process's publish in the request's trace",
                    span -> span.service().equals("eventflow-ingest") && span.name().equals("publish topic2")
                            && span.traceId().equals(requestTrace));
            OtlpReceiver.Received service1Batch = awaitSpan(receiver, "service 1's process's batch linked to it",
                    span -> span.service().equals("eventflow-service1")
                            && span.links().contains(requestTrace + "-" + ingestPublish.spanId()));
            OtlpReceiver.Received republish = awaitSpan(receiver, "service 1's process's republish in its batch's trace",
                    span -> span.service().equals("eventflow-service1") && span.name().equals("publish topic3")
                            && span.traceId().equals(service1Batch.traceId()));
            awaitSpan(receiver, "service 2's process's batch linked to the republish",
                    span -> span.service().equals("eventflow-service2")
                            && span.links().contains(republish.traceId() + "-" + republish.spanId()));
        } finally {
            for (EventflowProcess process : processes) {
                process.close();
            }
        }
    }

    private static OtlpReceiver.Received awaitSpan(OtlpReceiver receiver, String what, Predicate<OtlpReceiver.Received> match) {
        return await(what).atMost(Duration.ofSeconds(30))
                .until(() -> receiver.spans().stream().filter(match).findFirst(), Optional::isPresent).orElseThrow();
    }

    private static byte[] random(int size) {
        byte[] bytes = new byte[size];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }
}
