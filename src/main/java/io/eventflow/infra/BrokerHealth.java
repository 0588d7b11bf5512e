package io.eventflow.infra;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.actuate.amqp.RabbitHealthIndicator;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The {@code rabbit} health (and so readiness) with a deadline. Spring Boot's check opens a connection when it has
 * none; behind a partition that connect waits for its timeout, after the heartbeats declared the old connection dead,
 * and health requests queue behind it. Here the check runs on one thread of its own: an answer later than
 * {@link #DEADLINE} is DOWN, and a check still running is awaited, not started again.
 */
@Component("rabbitHealthIndicator")
@ConditionalOnEnabledHealthIndicator("rabbit")
class BrokerHealth implements HealthIndicator {

    static final Duration DEADLINE = Duration.ofSeconds(2);

    private final HealthIndicator check;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(runnable -> {
        Thread daemon = new Thread(runnable, "eventflow-broker-health");
        daemon.setDaemon(true);
        return daemon;
    });
    private Future<Health> running;

    @Autowired
    BrokerHealth(ConnectionFactory connectionFactory) {
        this(new RabbitHealthIndicator(new RabbitTemplate(connectionFactory)));
    }

    BrokerHealth(HealthIndicator check) {
        this.check = check;
    }

    @Override
    public Health health() {
        Future<Health> answer;
        synchronized (this) {
            if (running == null || running.isDone()) {
                running = thread.submit(check::health);
            }
            answer = running;
        }
        try {
            return answer.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return Health.down().withDetail("error", "the broker did not answer within " + DEADLINE.toMillis() + " ms").build();
        } catch (ExecutionException e) {
            return Health.down(e.getCause() instanceof Exception cause ? cause : e).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Health.unknown().build();
        }
    }
}
