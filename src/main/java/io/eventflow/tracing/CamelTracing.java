package io.eventflow.tracing;

import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Tracer;
import org.apache.camel.CamelContext;
import org.apache.camel.observation.MicrometerObservationTracer;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Camel's routes as Micrometer Observations, on Spring Boot's tracer and observation registry, when tracing is on
 * ({@code camel.observation.enabled}, {@link TracingSettings}). camel-observation-starter 4.17 would do this itself,
 * but its auto-configuration switches off whenever Spring Boot's actuator is on the classpath (a
 * {@code @ConditionalOnMissingClass} on Boot's ObservationAutoConfiguration), as it is here.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = TracingSettings.CAMEL_ENABLED, havingValue = "true")
class CamelTracing {

    @Bean
    @ConditionalOnMissingBean(MicrometerObservationTracer.class)
    MicrometerObservationTracer camelObservationTracer(CamelContext camel, Tracer tracer, ObservationRegistry observations,
            @Value("${camel.observation.exclude-patterns:}") String excludePatterns) {
        MicrometerObservationTracer routes = new MicrometerObservationTracer();
        routes.setTracer(tracer);
        routes.setObservationRegistry(observations);
        routes.setExcludePatterns(excludePatterns.isBlank() ? null : excludePatterns);
        // Registers its route policy and event notifier before the routes start.
        routes.init(camel);
        return routes;
    }
}
