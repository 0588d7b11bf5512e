package io.eventflow.ops;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Fails the start on an unsafe management binding as soon as the configuration is read, before the embedded
 * broker and database start and long before any port opens.
 */
public class ManagementExposureCheck implements EnvironmentPostProcessor, Ordered {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        ManagementExposure.of(environment).check();
    }

    // After the config files are read (ConfigDataEnvironmentPostProcessor runs near the highest precedence).
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
