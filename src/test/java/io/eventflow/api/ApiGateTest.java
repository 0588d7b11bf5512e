package io.eventflow.api;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.config.EventflowProperties;
import io.eventflow.security.IngestCredentials;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.availability.ApplicationAvailabilityBean;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.mock.env.MockEnvironment;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** What the API gate lets through, and how it answers what it does not. */
class ApiGateTest {

    private final EventflowProperties properties =
            new Binder(new MapConfigurationPropertySource(Map.of())).bindOrCreate("eventflow", EventflowProperties.class);
    private final ApplicationAvailabilityBean availability = new ApplicationAvailabilityBean();
    private final ApiGate gate = new ApiGate(properties, new ApiHttpEngine(properties, new MockEnvironment(), new SimpleMeterRegistry()), availability,
            new IngestCredentials(properties, new MockEnvironment(), Optional.empty()));
    private final AtomicBoolean passedOn = new AtomicBoolean();

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"POST, /api/events", "POST, /events", "GET, /api/metrics", "GET, /api/events/1234/trace"})
    void beforeEventflowIsReadyTheApiAnswersNotReadyWithRetryAfter(String method, String path) throws Exception {
        ready(ReadinessState.REFUSING_TRAFFIC);

        MockHttpServletResponse answer = send(method, path, null);

        assertThat(passedOn).isFalse();
        assertThat(answer.getStatus()).isEqualTo(503);
        assertThat(answer.getContentType()).isEqualTo("application/problem+json");
        assertThat(answer.getHeader("Retry-After")).isEqualTo("2");
        assertThat(new ObjectMapper().readValue(answer.getContentAsByteArray(), Map.class))
                .containsEntry("title", "Eventflow is not ready").containsEntry("status", 503).containsEntry("accepted", 0);
    }

    @Test
    void theDashboardPageIsServedWhileEventflowStarts() throws Exception {
        ready(ReadinessState.REFUSING_TRAFFIC);

        send("GET", "/index.html", null);

        assertThat(passedOn).isTrue();
    }

    @Test
    void onceReadyOtherApiRequestsGoOnToSpringMvc() throws Exception {
        ready(ReadinessState.ACCEPTING_TRAFFIC);

        send("GET", "/api/metrics", null);

        assertThat(passedOn).isTrue();
    }

    @ParameterizedTest
    @CsvSource({"gzip", "deflate", "br", "'gzip, identity'"})
    void aCompressedEventRequestIsRefusedWith415UnreadAndNotPassedOn(String encoding) throws Exception {
        ready(ReadinessState.ACCEPTING_TRAFFIC);

        MockHttpServletResponse answer = send("POST", "/api/events", encoding);

        assertThat(passedOn).isFalse();
        assertThat(answer.getStatus()).isEqualTo(415);
        assertThat(new ObjectMapper().readValue(answer.getContentAsByteArray(), Map.class))
                .containsEntry("title", "Unsupported content encoding");
    }

    @Test
    void anEncodedSpellingOfTheIngestPathIsStillTheIngest() {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/api/%65vents");
        request.setServletPath("/api/events");

        assertThat(ApiGate.isIngest(request)).isTrue();
    }

    private void ready(ReadinessState state) {
        availability.onApplicationEvent(new AvailabilityChangeEvent<>(this, state));
    }

    private MockHttpServletResponse send(String method, String path, String contentEncoding) throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest(method, path);
        request.setServletPath(path);
        request.setContentType("application/json");
        request.setContent("{\"eventType\":\"passiveEvent\"}".getBytes());
        if (contentEncoding != null) {
            request.addHeader("Content-Encoding", contentEncoding);
        }
        MockHttpServletResponse response = new MockHttpServletResponse();
        gate.doFilter(request, response, (req, res) -> passedOn.set(true));
        return response;
    }
}
