package io.eventflow.routes;

import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.api.ProblemException;
import io.eventflow.ingest.EventRequestParser;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * routes/errors.camel.yaml (the route configuration api-errors), through the routes that use it: a refused request
 * answers its 4xx problem as application/problem+json and publishes nothing; anything unexpected is a 500 problem that
 * tells no internals. The ingest's publish step is replaced by {@code mock:publish}, the dashboard's beans by a stub.
 */
class ErrorsRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private CamelContext camel;
    private MockEndpoint published;

    @BeforeEach
    void start() throws Exception {
        DashboardStub dashboard = new DashboardStub();
        Map<String, Object> beans = Map.of(
                "eventRequestParser", new EventRequestParser(RouteFiles.properties(Map.of())),
                "eventLookup", dashboard, "pipelineMetrics", dashboard, "throughputSeries", dashboard, "recentDeadLetters", dashboard);
        camel = RouteFiles.load(Map.of(), beans, "errors.camel.yaml", "ingest.camel.yaml", "dashboard-api.camel.yaml");
        AdviceWith.adviceWith(camel, "ingest-events", route -> {
            route.weaveByToString(".*eventPublisher.*").replace().to("mock:publish");
            route.weaveByToString(".*publishOutcome.*").remove();
        });
        camel.start();
        published = camel.getEndpoint("mock:publish", MockEndpoint.class);
    }

    @AfterEach
    void stop() {
        camel.stop();
    }

    @Test
    void anUnknownEventTypeIsA400ProblemAndNothingIsPublished() throws Exception {
        published.expectedMessageCount(0);

        Exchange answer = post("application/json", "{\"eventType\":\"nope\"}");

        assertProblem(answer, 400, "Unknown eventType");
        assertThat(problem(answer)).containsEntry("detail", "expected passiveEvent or activeEvent").containsEntry("type", "about:blank");
        published.assertIsSatisfied();
    }

    @Test
    void aCountOutOfRangeIsA400Problem() throws Exception {
        published.expectedMessageCount(0);

        assertProblem(post("application/json", "{\"eventType\":\"passiveEvent\",\"count\":0}"), 400, "Invalid count");
        published.assertIsSatisfied();
    }

    @Test
    void aBodyThatIsNotJsonIsA415Problem() throws Exception {
        published.expectedMessageCount(0);

        assertProblem(post("text/plain", "passiveEvent"), 415, "Unsupported media type");
        published.assertIsSatisfied();
    }

    @Test
    void aValidRequestReachesThePublishStep() throws Exception {
        published.expectedMessageCount(1);
        published.expectedPropertyReceived("topic", "topic2");

        post("application/json", "{\"eventType\":\"activeEvent\",\"count\":2}");

        published.assertIsSatisfied();
    }

    @Test
    void aDashboardRefusalIsA400ProblemWithoutTheRequestsHeaders() throws Exception {
        Exchange answer = request("direct:dashboard-recent-events", exchange -> {
            exchange.getMessage().setHeader("topic", "topic9");
            exchange.getMessage().setHeader("X-Secret", "echo me");
        });

        assertProblem(answer, 400, "Unknown topic");
        assertThat(answer.getMessage().getHeaders()).doesNotContainKeys("topic", "X-Secret");
    }

    @Test
    void anUnexpectedFailureIsA500ProblemThatTellsNoInternals() throws Exception {
        Exchange answer = request("direct:dashboard-event-trace", exchange -> { });

        assertProblem(answer, 500, "Internal error");
        assertThat(answer.getMessage().getBody(String.class)).doesNotContain("IllegalStateException", "connection refused");
    }

    private Exchange post(String contentType, String body) {
        return request("direct:ingest-events", exchange -> {
            exchange.getMessage().setBody(body);
            exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, contentType);
        });
    }

    private Exchange request(String endpoint, Processor request) {
        Exchange answer = camel.createProducerTemplate().request(endpoint, request);
        // The answer's body may be a stream; read it once, as the HTTP binding would.
        answer.getMessage().setBody(answer.getMessage().getBody(String.class));
        return answer;
    }

    private static void assertProblem(Exchange answer, int status, String title) throws Exception {
        assertThat(answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(status);
        assertThat(answer.getMessage().getHeader(Exchange.CONTENT_TYPE)).isEqualTo("application/problem+json");
        assertThat(problem(answer)).containsEntry("status", status).containsEntry("title", title);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> problem(Exchange answer) throws Exception {
        return JSON.readValue(answer.getMessage().getBody(String.class), Map.class);
    }

    /** The dashboard's beans: the lookup refuses an unknown topic and fails as an unreachable database would. */
    public static final class DashboardStub {

        public Map<String, Object> snapshot() {
            return Map.of();
        }

        public Map<String, Object> series() {
            return Map.of();
        }

        public Map<String, Object> newest() {
            return Map.of();
        }

        public Object recent(Exchange exchange) {
            throw new ProblemException(400, "Unknown topic", "expected topic1, topic2 or topic3");
        }

        public Object trace(Exchange exchange) {
            throw new IllegalStateException("connection refused");
        }
    }
}
