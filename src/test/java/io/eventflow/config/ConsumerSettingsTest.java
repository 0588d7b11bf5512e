package io.eventflow.config;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The consumer settings are read before anything starts: a value the broker or the routes cannot work with refuses
 * the start with what to do, instead of a consumer that never connects. A prefetch over AMQP's 16 bits passed Camel,
 * and RabbitMQ then dropped the connection: topic1 had no consumer and nothing said why.
 */
class ConsumerSettingsTest {

    @Test
    void theDefaultsAreWhatEveryPlaceholderReads() {
        assertThat(ConsumerSettings.values(bind(Map.of()))).containsEntry("eventflow.consumers.prefetch", 500)
                .containsEntry("eventflow.consumers.batch-wait-ms", 10).containsEntry("eventflow.consumers.store-threads", 3);
    }

    @Test
    void aPrefetchAmqpCannotCarryRefusesTheStart() {
        assertThat(bind(Map.of("eventflow.consumers.prefetch", "65535")).prefetch()).isEqualTo(65535);
        assertThatThrownBy(() -> bind(Map.of("eventflow.consumers.prefetch", "65536"))).rootCause()
                .isInstanceOf(StartRefusedException.class).hasMessageContaining("eventflow.consumers.prefetch is 65536");
        assertThatThrownBy(() -> bind(Map.of("eventflow.consumers.prefetch", "0"))).rootCause()
                .isInstanceOf(StartRefusedException.class);
    }

    @Test
    void noConsumerThreadsOrEmptyBatchesRefuseTheStart() {
        for (String key : new String[] {"concurrency", "batch-size", "batch-wait-ms", "store-threads"}) {
            assertThatThrownBy(() -> bind(Map.of("eventflow.consumers." + key, "0"))).as(key).rootCause()
                    .isInstanceOf(StartRefusedException.class).hasMessageContaining("eventflow.consumers." + key + " is 0");
        }
    }

    @Test
    void noPublisherChannelRefusesTheStart() {
        assertThatThrownBy(() -> new Binder(new MapConfigurationPropertySource(Map.of("eventflow.broker.publisher-channels", "0")))
                .bindOrCreate("eventflow.broker", EventflowProperties.Broker.class)).rootCause()
                .isInstanceOf(StartRefusedException.class).hasMessageContaining("eventflow.broker.publisher-channels is 0");
    }

    private static EventflowProperties.Consumers bind(Map<String, String> settings) {
        return new Binder(new MapConfigurationPropertySource(settings))
                .bindOrCreate("eventflow.consumers", EventflowProperties.Consumers.class);
    }
}
