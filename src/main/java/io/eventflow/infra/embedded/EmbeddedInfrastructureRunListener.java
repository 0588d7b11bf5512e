package io.eventflow.infra.embedded;

import java.util.Map;

import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.boot.ConfigurableBootstrapContext;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringApplicationRunListener;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Starts the embedded broker and database when {@code eventflow.embedded=true} (the default).
 *
 * <p>A run listener rather than an EnvironmentPostProcessor because it sees the whole run: it starts
 * both once the environment (and logging) is ready, before any bean exists; it hands them to the
 * context as its first disposable singleton, which Spring destroys last, after Camel has stopped and
 * the connection pools are closed; and {@link #failed} stops them when the start fails anywhere,
 * even before there is a context to close.
 */
public class EmbeddedInfrastructureRunListener implements SpringApplicationRunListener, Ordered {

    public static final String PROPERTY_SOURCE_NAME = "eventflowEmbedded";
    private static final Map<String, String> QUIET_LOGGERS = Map.of(
            "org.apache.qpid", "logging.level.org.apache.qpid",
            "qpid.message", "logging.level.qpid.message",
            "io.zonky.test.db.postgres", "logging.level.io.zonky.test.db.postgres");

    private final SpringApplication application;
    private EmbeddedInfrastructure infrastructure;

    public EmbeddedInfrastructureRunListener(SpringApplication application, String[] args) {
        this.application = application;
    }

    // After EventPublishingRunListener (order 0), so config files are read and logging is set up.
    @Override
    public int getOrder() {
        return 10;
    }

    @Override
    public void environmentPrepared(ConfigurableBootstrapContext bootstrapContext,
                                    ConfigurableEnvironment environment) {
        EmbeddedSettings settings = EmbeddedSettings.from(environment);
        if (!settings.embedded() || environment.getPropertySources().contains(PROPERTY_SOURCE_NAME)) {
            return;
        }
        quietenThirdPartyLogs(environment);
        infrastructure = EmbeddedInfrastructure.start(settings);
        environment.getPropertySources().addFirst(
                new MapPropertySource(PROPERTY_SOURCE_NAME, infrastructure.connectionProperties()));
    }

    @Override
    public void contextPrepared(ConfigurableApplicationContext context) {
        if (infrastructure == null) {
            return;
        }
        var beanFactory = context.getBeanFactory();
        beanFactory.registerSingleton(EmbeddedInfrastructure.BEAN_NAME, infrastructure);
        // Disposable beans are destroyed in reverse order of registration: first in, last out.
        ((DefaultSingletonBeanRegistry) beanFactory).registerDisposableBean(EmbeddedInfrastructure.BEAN_NAME,
                infrastructure);
    }

    @Override
    public void failed(ConfigurableApplicationContext context, Throwable exception) {
        if (infrastructure != null) {
            infrastructure.destroy();
        }
    }

    // Qpid and zonky are chatty at INFO; we log one line per part ourselves. A user's level wins.
    private void quietenThirdPartyLogs(ConfigurableEnvironment environment) {
        LoggingSystem logging = LoggingSystem.get(application.getClassLoader());
        QUIET_LOGGERS.forEach((logger, key) -> {
            if (!environment.containsProperty(key)) {
                logging.setLogLevel(logger, LogLevel.WARN);
            }
        });
    }
}
