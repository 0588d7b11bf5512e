package io.eventflow.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.tools.ToolProvider;

import org.apache.commons.logging.Log;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.MapPropertySource;

/**
 * Where the routes, the migrations and the dashboard come from: the folder {@code eventflow.routes-dir} (default
 * {@code routes}), {@code eventflow.migrations-dir} ({@code db}) and {@code eventflow.dashboard-dir}
 * ({@code dashboard-static}) when it exists, else the copy packaged in the jar, so the jar alone runs anywhere.
 * <p>
 * A folder is used by its real path: Camel finds no route file under a symbolic link to a folder. The result
 * becomes the defaults of Camel's, Flyway's and Spring MVC's own keys (lowest precedence: a value the user gives
 * those keys wins); route reload only watches a folder, never the jar.
 */
public class PipelineFiles implements EnvironmentPostProcessor, Ordered {

    public static final String PROPERTY_SOURCE_NAME = "eventflowPipelineFiles";
    static final String YAML_ROUTES = "*.camel.yaml";
    static final String JAVA_ROUTES = "*.java";

    private final Log log;

    public PipelineFiles(DeferredLogFactory logs) {
        this.log = logs.getLog(PipelineFiles.class);
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (environment.getPropertySources().contains(PROPERTY_SOURCE_NAME)) {
            return;
        }
        EventflowProperties properties = Binder.get(environment).bindOrCreate("eventflow", EventflowProperties.class);
        Path routes = realFolder(properties.routesDir());
        Path migrations = realFolder(properties.migrationsDir());
        Path dashboard = realFolder(properties.dashboardDir());

        if (routes != null && !javaRoutesCompile() && hasJavaRoutes(routes)) {
            log.warn("The Java DSL route files (" + JAVA_ROUTES + ") in " + routes + " are not loaded: " + whyJavaRoutesDoNotCompile()
                    + "; run the jar extracted (java -Djarmode=tools -jar eventflow.jar extract, then java -jar "
                    + "eventflow/eventflow.jar on a JDK, as the container image does) or from the source tree (./mvnw spring-boot:run)");
        }
        Map<String, Object> defaults = new LinkedHashMap<>();
        defaults.put("camel.main.routes-include-pattern", routeFilesIn(routes == null ? "classpath:routes/" : "file:" + routes + "/"));
        boolean reload = properties.routesReload() != null ? properties.routesReload() : properties.embedded();
        defaults.put("camel.main.routes-reload-enabled", reload && routes != null);
        // A Java route file that is not loaded is not watched either: its save would report a compile error.
        defaults.put("camel.main.routes-reload-pattern", YAML_ROUTES + (javaRoutesCompile() ? "," + JAVA_ROUTES : ""));
        if (routes != null) {
            defaults.put("camel.main.routes-reload-directory", routes.toString());
        }
        defaults.put("spring.flyway.locations", migrations == null ? "classpath:db" : "filesystem:" + migrations);
        defaults.put("spring.web.resources.static-locations",
                (dashboard == null ? "classpath:/dashboard-static/" : "file:" + dashboard + "/")
                        + ", classpath:/META-INF/resources/");
        environment.getPropertySources().addLast(new MapPropertySource(PROPERTY_SOURCE_NAME, defaults));
    }

    /** {@code file:routes/} becomes {@code file:routes/*.camel.yaml,file:routes/*.java} (YAML only where Java cannot compile). */
    static String routeFilesIn(String folder) {
        return folder + YAML_ROUTES + (javaRoutesCompile() ? "," + folder + JAVA_ROUTES : "");
    }

    /**
     * Whether Java DSL route files compile here: Camel compiles them with the JDK's compiler against the JVM's class
     * path, which javac reads from folders and jars of real files (the source tree's target/classes, the extracted jar
     * and the lib/ its manifest names), not from the jars nested in the packaged jar; and a JRE has no compiler.
     */
    static boolean javaRoutesCompile() {
        return whyJavaRoutesDoNotCompile() == null;
    }

    private static String whyJavaRoutesDoNotCompile() {
        URL self = PipelineFiles.class.getResource("PipelineFiles.class");
        boolean realFiles = self != null && ("file".equals(self.getProtocol()) || self.toString().startsWith("jar:file:"));
        if (!realFiles) {
            return "Camel's compiler cannot read the classes nested in the packaged jar (java -jar eventflow.jar)";
        }
        return ToolProvider.getSystemJavaCompiler() == null ? "this Java runtime has no compiler (a JRE, not a JDK)" : null;
    }

    private static boolean hasJavaRoutes(Path folder) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, JAVA_ROUTES)) {
            return files.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }

    /** Where the running routes were loaded from, in words for the start-up log and refusals. */
    public static String routesOrigin(Environment environment) {
        String pattern = environment.getProperty("camel.main.routes-include-pattern", "");
        if (pattern.equals(routeFilesIn("classpath:routes/"))) {
            EventflowProperties properties = Binder.get(environment).bindOrCreate("eventflow", EventflowProperties.class);
            return "the routes packaged in the jar (" + pattern + "), as there is no folder "
                    + Path.of(properties.routesDir()).toAbsolutePath().normalize() + " (eventflow.routes-dir)";
        }
        return pattern;
    }

    // After the config files are read (ConfigDataEnvironmentPostProcessor runs near the highest precedence), and
    // before RoleSettings, which narrows the routes pattern set here to the process's roles.
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE - 1;
    }

    /** The folder's real path (symbolic links resolved), or null when there is no such folder. */
    private static Path realFolder(String name) {
        Path folder = Path.of(name);
        if (!Files.isDirectory(folder)) {
            return null;
        }
        try {
            return folder.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve the folder " + folder.toAbsolutePath(), e);
        }
    }
}
