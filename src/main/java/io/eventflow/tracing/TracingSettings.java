package io.eventflow.tracing;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;
import org.springframework.util.StringUtils;

/**
 * Tracing is on exactly when there is somewhere to send it: {@code management.tracing.enabled} defaults to whether
 * {@code management.otlp.tracing.endpoint} is set, and Camel's route observations ({@code camel.observation.enabled})
 * follow it. Off, Camel installs no tracing route policy or event notifier and Spring Boot sets up no tracer at all
 * ({@link TracingOff}). Any key set explicitly wins.
 */
public class TracingSettings implements EnvironmentPostProcessor, Ordered {

    static final String ENDPOINT = "management.otlp.tracing.endpoint";
    static final String ENABLED = "management.tracing.enabled";
    static final String CAMEL_ENABLED = "camel.observation.enabled";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        environment.getPropertySources().addLast(new Defaults(environment));
    }

    /**
     * Asked when a key is read, not computed once here: an endpoint from a source added after the environment was
     * prepared (a test's dynamic properties) counts too.
     */
    private static final class Defaults extends PropertySource<Object> {

        // Not the source: Spring Boot would walk an environment given as a source as nested property sources, endlessly.
        private final ConfigurableEnvironment environment;

        Defaults(ConfigurableEnvironment environment) {
            super("eventflowTracingDefaults", new Object());
            this.environment = environment;
        }

        @Override
        public Object getProperty(String name) {
            if (ENABLED.equals(name)) {
                return StringUtils.hasText(environment.getProperty(ENDPOINT));
            }
            if (CAMEL_ENABLED.equals(name)) {
                return enabled(environment);
            }
            return null;
        }
    }

    /** Whether tracing is on: {@code management.tracing.enabled}, by default whether an OTLP endpoint is set. */
    static boolean enabled(Environment environment) {
        return environment.getProperty(ENABLED, Boolean.class, StringUtils.hasText(environment.getProperty(ENDPOINT)));
    }

    // After the config files are read, like PipelineFiles.
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE - 1;
    }
}
