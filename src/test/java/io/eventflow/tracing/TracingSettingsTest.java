package io.eventflow.tracing;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

class TracingSettingsTest {

    @Test
    void tracingIsOffWithoutAnEndpoint() {
        StandardEnvironment environment = environment(Map.of());

        assertThat(environment.getProperty("management.tracing.enabled", Boolean.class)).isFalse();
        assertThat(environment.getProperty("camel.observation.enabled", Boolean.class)).isFalse();
    }

    @Test
    void anOtlpEndpointTurnsSpringBootsAndCamelsTracingOn() {
        StandardEnvironment environment = environment(Map.of("management.otlp.tracing.endpoint", "http://jaeger:4318/v1/traces"));

        assertThat(environment.getProperty("management.tracing.enabled", Boolean.class)).isTrue();
        assertThat(environment.getProperty("camel.observation.enabled", Boolean.class)).isTrue();
    }

    @Test
    void anExplicitSettingWins() {
        StandardEnvironment on = environment(Map.of("management.tracing.enabled", "true"));
        StandardEnvironment off = environment(Map.of("management.otlp.tracing.endpoint", "http://jaeger:4318/v1/traces",
                "management.tracing.enabled", "false"));

        assertThat(on.getProperty("camel.observation.enabled", Boolean.class)).isTrue();
        assertThat(off.getProperty("management.tracing.enabled", Boolean.class)).isFalse();
        assertThat(off.getProperty("camel.observation.enabled", Boolean.class)).isFalse();
    }

    private static StandardEnvironment environment(Map<String, Object> settings) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("settings", settings));
        new TracingSettings().postProcessEnvironment(environment, new SpringApplication());
        return environment;
    }
}
