package io.eventflow;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurationExcludeFilter;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.TypeExcludeFilter;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;

/**
 * {@code @SpringBootApplication}, spelled out for one more exclusion: a {@code @ManagementContextConfiguration} belongs
 * to the management server's child context (listed in META-INF/spring), never to the application's.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@ComponentScan(excludeFilters = {
        @ComponentScan.Filter(type = FilterType.CUSTOM, classes = TypeExcludeFilter.class),
        @ComponentScan.Filter(type = FilterType.CUSTOM, classes = AutoConfigurationExcludeFilter.class),
        @ComponentScan.Filter(type = FilterType.ANNOTATION, classes = ManagementContextConfiguration.class)})
@ConfigurationPropertiesScan
public class EventflowApplication {

    public static void main(String[] args) {
        try {
            SpringApplication.run(EventflowApplication.class, args);
        } catch (RuntimeException failed) {
            // Spring Boot has reported why and closed the context: no thread a library left running may keep the
            // JVM, and the ports it held, alive after a failed start.
            System.exit(1);
        }
    }
}
