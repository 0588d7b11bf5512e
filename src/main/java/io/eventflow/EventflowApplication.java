package io.eventflow;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
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
