package io.eventflow;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class EventflowApplication {

    public static void main(String[] args) {
        SpringApplication.run(EventflowApplication.class, args);
    }
}
