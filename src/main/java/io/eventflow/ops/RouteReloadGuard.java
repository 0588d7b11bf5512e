package io.eventflow.ops;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.spi.Resource;
import org.apache.camel.spi.ResourceReload;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.support.RouteWatcherReloadStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Makes Camel's route reload (camel.main.routes-reload-*) keep what runs when an edit is broken. Camel leaves the
 * routes alone if the file does not parse, but when it parses and a route then fails to build (an unknown bean, a
 * bad endpoint) Camel has already removed the old route. This puts the file's last good version back then, and
 * reports either failure in one log line instead of a stack trace.
 */
@Component
class RouteReloadGuard implements CamelContextConfiguration {

    private static final Logger log = LoggerFactory.getLogger(RouteReloadGuard.class);

    @Override
    public void beforeApplicationStart(CamelContext camelContext) {
        // Camel creates its reload watcher while it starts; there is nothing to wrap yet.
    }

    @Override
    public void afterApplicationStart(CamelContext camelContext) {
        RouteWatcherReloadStrategy watcher = camelContext.hasService(RouteWatcherReloadStrategy.class);
        if (watcher == null) {
            log.info("Route reload off: restart Eventflow to apply edits of its route files");
            return;
        }
        watcher.setResourceReload(new KeepLastGood(camelContext, watcher.getResourceReload()));
        log.info("Route reload on: an edited {} file in {}/ replaces its routes; a broken edit keeps the previous ones",
                watcher.getPattern(), watcher.getFolder());
    }

    /** Camel's own reload, with each file's last good text and route ids kept to fall back on. */
    private static final class KeepLastGood implements ResourceReload {

        private final CamelContext camelContext;
        private final ResourceReload camelReload;
        private final Map<String, String> lastGoodText = new ConcurrentHashMap<>();
        private final Map<String, Set<String>> lastGoodRoutes = new ConcurrentHashMap<>();

        KeepLastGood(CamelContext camelContext, ResourceReload camelReload) {
            this.camelContext = camelContext;
            this.camelReload = camelReload;
            camelContext.getRoutes().stream()
                    .map(Route::getSourceResource)
                    .filter(resource -> resource != null && resource.exists())
                    .distinct()
                    .forEach(this::remember);
        }

        @Override
        public void onReload(String name, Resource resource) throws Exception {
            if (!resource.getLocation().endsWith(".yaml") && !resource.getLocation().endsWith(".java")) {
                camelReload.onReload(name, resource);
                return;
            }
            try {
                camelReload.onReload(name, resource);
                remember(resource);
            } catch (Exception e) {
                String location = resource.getLocation();
                String previous = lastGoodText.get(location);
                boolean restore = previous != null && !routesOf(location).containsAll(lastGoodRoutes.get(location));
                if (restore) {
                    PluginHelper.getRoutesLoader(camelContext)
                            .updateRoutes(List.of(ResourceHelper.fromString(location, previous)));
                }
                log.warn("Routes of {} not reloaded ({}); {}", name, oneLine(e),
                        previous == null ? "fix the file and save it again"
                                : restore ? "its previous version was put back and runs"
                                : "its previous version keeps running");
            }
        }

        private void remember(Resource resource) {
            try (InputStream in = resource.getInputStream()) {
                lastGoodText.put(resource.getLocation(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
                lastGoodRoutes.put(resource.getLocation(), routesOf(resource.getLocation()));
            } catch (IOException e) {
                log.warn("Could not keep a copy of {} to fall back on: {}", resource.getLocation(), e.toString());
            }
        }

        private Set<String> routesOf(String location) {
            return camelContext.getRoutes().stream()
                    .filter(route -> route.getSourceResource() != null
                            && location.equals(route.getSourceResource().getLocation()))
                    .map(Route::getRouteId)
                    .collect(Collectors.toSet());
        }

        private static String oneLine(Throwable e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
            // YAML errors span several lines ("while parsing ...", "in file..., line 3, column 11"): keep one.
            String line = message.lines().map(String::trim).filter(l -> !l.isEmpty()).collect(Collectors.joining(" "));
            return line.length() > 300 ? line.substring(0, 300) + "..." : line;
        }
    }
}
