package io.eventflow;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class EventflowApplication {

    public static void main(String[] args) {
        SpringApplication.run(EventflowApplication.class, args);
    }
}
