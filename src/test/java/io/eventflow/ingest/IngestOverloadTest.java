package io.eventflow.ingest;

import java.time.Duration;
import java.util.Map;

import io.eventflow.support.EventflowIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** On the real broker, with the in-flight bound set tiny: past it a request is refused as busy; within it, accepted. */
@TestPropertySource(properties = {
        // Its own embedded servers: the suite's default context keeps its own running in the same JVM.
        "eventflow.data-dir=target/test-data/ingest-overload",
        "eventflow.ingest.max-in-flight-events=5"})
class IngestOverloadTest extends EventflowIntegrationTest {

    @Test
    void aRequestPastTheInFlightBoundIsBusyAndOneWithinItIsStored() {
        ResponseEntity<Map> refused = postEvents("{\"eventType\":\"passiveEvent\",\"count\":6}");

        assertThat(refused.getStatusCode().value()).isEqualTo(503);
        assertThat(refused.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
        assertThat(refused.getHeaders().getFirst("Retry-After")).isEqualTo("1");
        assertThat(refused.getBody()).containsEntry("title", "Eventflow is busy").containsEntry("status", 503)
                .containsEntry("accepted", 0);
        assertThat(refused.getBody().get("detail").toString()).contains("bound of 5", "nothing was published");

        ResponseEntity<Map> accepted = postEvents("{\"eventType\":\"passiveEvent\",\"count\":5}");

        assertThat(accepted.getStatusCode().value()).isEqualTo(202);
        assertThat(accepted.getHeaders().getFirst("Retry-After")).isNull();
        await().atMost(Duration.ofSeconds(20)).until(() -> rows("topic1") == 5);
        // Only the accepted request's events exist: the refused one published nothing.
        assertThat(jdbc.queryForList("SELECT DISTINCT batch_id::text FROM topic1", String.class))
                .containsExactly((String) accepted.getBody().get("batchId"));
        assertThat(depth("topic1")).isZero();
    }
}
