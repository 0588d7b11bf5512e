package io.eventflow.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

/**
 * The {@code rabbit} health behind a partition: Spring Boot's check then waits for a connect that cannot succeed;
 * the health must still answer, DOWN, and not pile up checks.
 */
class BrokerHealthTest {

    @Test
    void aCheckThatHangsIsDownWithinTheDeadlineAndIsNotStartedTwice() throws Exception {
        CountDownLatch link = new CountDownLatch(1);
        AtomicInteger checks = new AtomicInteger();
        BrokerHealth health = new BrokerHealth(() -> {
            checks.incrementAndGet();
            try {
                link.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Health.up().build();
        });

        Health first = health.health();
        Health second = health.health();

        assertThat(first.getStatus()).isEqualTo(Status.DOWN);
        assertThat(first.getDetails()).containsEntry("error", "the broker did not answer within 2000 ms");
        assertThat(second.getStatus()).isEqualTo(Status.DOWN);
        assertThat(checks).as("the second request waited for the running check").hasValue(1);

        link.countDown();
        assertThat(health.health().getStatus()).as("the running check's answer, once it came").isEqualTo(Status.UP);
    }

    @Test
    void aPromptAnswerPassesThroughAndEachRequestChecksAgain() {
        AtomicInteger checks = new AtomicInteger();
        BrokerHealth health = new BrokerHealth(() -> {
            checks.incrementAndGet();
            return Health.down().withDetail("error", "connection refused").build();
        });

        assertThat(health.health().getDetails()).containsEntry("error", "connection refused");
        assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
        assertThat(checks).hasValue(2);
    }
}
