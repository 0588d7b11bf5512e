package io.eventflow.ops;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.stereotype.Component;

/** One line at start saying where the console is and whether it asks for a login (never the password). */
@Component
class ManagementServerLog implements ApplicationListener<WebServerInitializedEvent> {

    private static final Logger log = LoggerFactory.getLogger(ManagementServerLog.class);

    private final ManagementExposure exposure;

    ManagementServerLog(ManagementExposure exposure) {
        this.exposure = exposure;
    }

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        if (!"management".equals(event.getApplicationContext().getServerNamespace())) {
            return;
        }
        String host = exposure.address() == null || exposure.address().isBlank() ? "0.0.0.0" : exposure.address();
        log.info("Hawtio at http://{}:{}/actuator/hawtio (Jolokia, Prometheus and health beside it), {}",
                host.contains(":") ? "[" + host + "]" : host, event.getWebServer().getPort(),
                exposure.loginRequired() ? "login required for user '" + exposure.login().username() + "'"
                        : "no login: loopback only");
    }
}
