package io.eventflow.ops;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import io.eventflow.config.EventflowProperties;
import io.eventflow.config.PipelineFiles;
import io.eventflow.config.Role;
import io.eventflow.config.StartRefusedException;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * Says at start which routes run and where they came from, and refuses to start when the pipeline's routes
 * ({@code eventflow.required-routes}, those of the process's {@code eventflow.roles}) are not all among them: an empty or half route set would otherwise start,
 * report ready and answer 404 to every call.
 * <p>
 * A runner, because Camel only logs what its own start-up callbacks throw; a runner's failure fails the start,
 * before readiness turns UP.
 */
@Component
class PipelineRoutesCheck implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(PipelineRoutesCheck.class);

    private final CamelContext camelContext;
    private final List<String> required;
    private final Environment environment;

    PipelineRoutesCheck(CamelContext camelContext, EventflowProperties properties, Environment environment) {
        this.camelContext = camelContext;
        this.required = List.copyOf(Role.requiredRoutes(properties.requiredRoutes(), properties.roles()));
        this.environment = environment;
    }

    @Override
    public void run(ApplicationArguments args) {
        if (!camelContext.isStarted()) {
            // Camel's test support starts the context itself, after the application; there is nothing to check yet.
            return;
        }
        Set<String> running = new TreeSet<>(camelContext.getRoutes().stream().map(Route::getRouteId).toList());
        Set<String> missing = new TreeSet<>(required);
        missing.removeAll(running);
        String origin = PipelineFiles.routesOrigin(environment);
        if (!missing.isEmpty()) {
            throw new StartRefusedException((running.isEmpty() ? "no route was found" : "the pipeline's routes "
                    + missing + " were not found") + " in " + origin,
                    "Put the pipeline's route files (*.camel.yaml) in that folder, point eventflow.routes-dir at a folder "
                            + "that has them, or remove the folder to run the routes packaged in the jar.");
        }
        log.info("Running {} routes from {}", running.size(), origin);
    }
}
