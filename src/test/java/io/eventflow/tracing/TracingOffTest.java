package io.eventflow.tracing;

import java.util.Map;

import io.eventflow.support.EventflowIntegrationTest;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.TracingObservationHandler;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.AutoConfigurationMetadata;
import org.springframework.context.ApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

/** Tracing off (no OTLP endpoint, the default): no tracer at all, so an observation is metrics only. */
class TracingOffTest extends EventflowIntegrationTest {

    private static final String OTEL = "org.springframework.boot.actuate.autoconfigure.tracing.OpenTelemetryTracingAutoConfiguration";
    private static final String NOOP = "org.springframework.boot.actuate.autoconfigure.tracing.NoopTracerAutoConfiguration";
    private static final String METRICS = "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration";

    @Autowired
    private ApplicationContext context;
    @Autowired
    private ObservationRegistry observations;

    @Test
    void anObservationStartsNoSpanWhenTracingIsOff() {
        Observation request = Observation.start("eventflow.test", observations);
        request.stop();

        assertThat(context.getBeanNamesForType(Tracer.class)).isEmpty();
        // What Micrometer Tracing's handler leaves on every observation it sees, span or not.
        assertThat((Object) request.getContext().get(TracingObservationHandler.TracingContext.class)).isNull();
        assertThat(context.getBean(MessageTracing.class).enabled()).isFalse();
    }

    @Test
    void springBootsTracingAutoConfigurationsStayOutUnlessTracingIsOn() {
        String[] candidates = {OTEL, NOOP, METRICS};

        assertThat(filter(Map.of()).match(candidates, (AutoConfigurationMetadata) null)).containsExactly(false, false, true);
        assertThat(filter(Map.of("management.otlp.tracing.endpoint", "http://jaeger:4318/v1/traces")).match(candidates, null))
                .containsExactly(true, true, true);
        assertThat(filter(Map.of("management.tracing.enabled", "true")).match(candidates, null)).containsExactly(true, true, true);
        assertThat(filter(Map.of("management.otlp.tracing.endpoint", "http://jaeger:4318/v1/traces",
                "management.tracing.enabled", "false")).match(candidates, null)).containsExactly(false, false, true);
    }

    private static TracingOff filter(Map<String, Object> settings) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("settings", settings));
        TracingOff filter = new TracingOff();
        filter.setEnvironment(environment);
        return filter;
    }
}
