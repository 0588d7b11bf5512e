package io.eventflow.tracing;

import java.util.Set;

import org.springframework.boot.autoconfigure.AutoConfigurationImportFilter;
import org.springframework.boot.autoconfigure.AutoConfigurationMetadata;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;

/**
 * With tracing off ({@link TracingSettings}), none of Spring Boot's tracing auto-configurations: no tracer, not even
 * the no-op one, so the observation registry has the metrics handler alone, as before tracing existed. Spring Boot
 * would otherwise set up an OpenTelemetry tracer and Micrometer Tracing's handlers whenever the bridge is on the class
 * path, whatever {@code management.tracing.enabled} says, and every observation (each HTTP request, each Spring Security
 * filter chain) would start a span, a scope and an MDC update that nobody receives: 4.5 % of Eventflow's CPU under
 * one-event requests (docs/benchmarks.md#tracing-off-and-on).
 */
public class TracingOff implements AutoConfigurationImportFilter, EnvironmentAware {

    private static final String TRACING = "org.springframework.boot.actuate.autoconfigure.tracing.";
    static final Set<String> TRACING_AUTO_CONFIGURATIONS = Set.of(
            TRACING + "OpenTelemetryTracingAutoConfiguration",
            TRACING + "BraveAutoConfiguration",
            // Its Tracer.NOOP would make Boot wrap the metrics handler in one that expects a tracing handler's context.
            TRACING + "NoopTracerAutoConfiguration",
            TRACING + "MicrometerTracingAutoConfiguration",
            TRACING + "otlp.OtlpTracingAutoConfiguration",
            TRACING + "zipkin.ZipkinAutoConfiguration",
            TRACING + "wavefront.WavefrontTracingAutoConfiguration",
            TRACING + "prometheus.PrometheusExemplarsAutoConfiguration");

    private Environment environment;

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public boolean[] match(String[] autoConfigurationClasses, AutoConfigurationMetadata metadata) {
        boolean on = TracingSettings.enabled(environment);
        boolean[] matches = new boolean[autoConfigurationClasses.length];
        for (int i = 0; i < matches.length; i++) {
            // A null entry is one an earlier filter already left out.
            String candidate = autoConfigurationClasses[i];
            matches[i] = on || candidate == null || !TRACING_AUTO_CONFIGURATIONS.contains(candidate);
        }
        return matches;
    }
}
