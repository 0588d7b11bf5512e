package io.eventflow.security;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Fails the start on an open application port beyond loopback as soon as the configuration is read, before the embedded
 * broker and database start and long before any port opens.
 */
public class ApplicationExposureCheck implements EnvironmentPostProcessor, Ordered {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        ApplicationExposure.of(environment).check();
    }

    // After the config files (and configtree: imports) are read, which ConfigDataEnvironmentPostProcessor does early.
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
