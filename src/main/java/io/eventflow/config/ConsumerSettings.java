package io.eventflow.config;

import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Gives every {@code eventflow.consumers.*} key its value, the default of {@link EventflowProperties.Consumers} when
 * none is set, so the placeholders that read them (the batch-consumer route template, the spring-rabbitmq component
 * and the batchStorePool in application.yml) need no default of their own: each default is written once, in the record.
 */
public class ConsumerSettings implements EnvironmentPostProcessor, Ordered {

    static final String PREFIX = "eventflow.consumers.";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        EventflowProperties.Consumers consumers = Binder.get(environment)
                .bindOrCreate("eventflow.consumers", EventflowProperties.Consumers.class);
        environment.getPropertySources().addLast(new MapPropertySource("eventflowConsumerDefaults", values(consumers)));
    }

    /** {@code batchWaitMs = 10} becomes {@code eventflow.consumers.batch-wait-ms = 10}. */
    static Map<String, Object> values(EventflowProperties.Consumers consumers) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (RecordComponent component : EventflowProperties.Consumers.class.getRecordComponents()) {
            String key = PREFIX + component.getName().replaceAll("([A-Z])", "-$1").toLowerCase();
            try {
                values.put(key, component.getAccessor().invoke(consumers));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read " + key, e);
            }
        }
        return values;
    }

    // After the config files are read, like PipelineFiles.
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE - 1;
    }
}
