package io.eventflow.config;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Turns {@code eventflow.roles} into the settings Camel and Spring Boot read at start-up: only the roles' route files
 * are loaded (the include pattern's folder kept, its file names replaced), the dashboard's static files are served only
 * by the dashboard role, and an instance that touches no table (ingest alone) neither migrates nor checks the database.
 * With every role (the default) nothing is changed.
 */
public class RoleSettings implements EnvironmentPostProcessor, Ordered {

    static final String ROUTES_PATTERN = "camel.main.routes-include-pattern";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        Set<Role> roles = roles(environment);
        if (roles.equals(Role.all())) {
            return;
        }
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put(ROUTES_PATTERN, routesPattern(environment.getProperty(ROUTES_PATTERN, "file:routes/*.camel.yaml"), roles));
        if (!roles.contains(Role.DASHBOARD)) {
            settings.put("spring.web.resources.add-mappings", "false");
        }
        if (!Role.needDatabase(roles)) {
            settings.put("spring.flyway.enabled", "false");
            settings.put("management.health.db.enabled", "false");
        }
        environment.getPropertySources().addFirst(new MapPropertySource("eventflowRoles", settings));
    }

    public static Set<Role> roles(ConfigurableEnvironment environment) {
        Set<Role> roles = Binder.get(environment).bind("eventflow.roles", Bindable.setOf(Role.class)).orElse(Role.all());
        if (roles.isEmpty()) {
            throw new IllegalArgumentException("eventflow.roles is empty: give one or more of ingest, service1, service2, dashboard");
        }
        return EnumSet.copyOf(roles);
    }

    /**
     * {@code file:routes/*.camel.yaml,file:routes/*.java} with roles ingest and dashboard: {@code file:routes/ingest.camel.yaml,...};
     * their Java DSL files only when the pattern takes {@code *.java} (PipelineFiles leaves it out where they cannot compile).
     */
    static String routesPattern(String configured, Set<Role> roles) {
        String first = configured.split(",")[0];
        String folder = first.substring(0, first.lastIndexOf('/') + 1);
        boolean java = configured.contains(".java");
        Set<String> files = new LinkedHashSet<>();
        roles.forEach(role -> role.routeFiles().stream().filter(file -> java || !file.endsWith(".java"))
                .forEach(file -> files.add(folder + file)));
        return String.join(",", files);
    }

    // After the config files are read (ConfigDataEnvironmentPostProcessor runs near the highest precedence).
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
