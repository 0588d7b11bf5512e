package io.eventflow.ops;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;


import io.eventflow.processing.ConsumerPause;
import org.apache.camel.CamelContext;
import org.apache.camel.Navigate;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.processor.aggregate.AggregateProcessor;
import org.apache.camel.spi.Resource;
import org.apache.camel.spi.ResourceReload;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.support.RouteWatcherReloadStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.stereotype.Component;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Makes Camel's route reload (camel.main.routes-reload-*) safe to use on a running pipeline, one report per save:
 * <ul>
 * <li>a save is reloaded once, when the file was left alone for {@value #SETTLE_MILLIS} ms, never half-written;</li>
 * <li>the REST DSL routes of the file are removed before Camel adds them again (Camel 4.17 starts the new ones
 * beside the old, which keep running unseen);</li>
 * <li>an edit of a route template, route configuration or templated route is refused: the running routes made from
 * them take them only at start, so it says a restart is needed, in the log and in the health of component
 * {@code routeReload};</li>
 * <li>when a file parses but a route then fails to build (an unknown bean, a bad endpoint), Camel has already removed
 * the old route: the file's last good version is put back.</li>
 * </ul>
 */
@Component("routeReloadHealthIndicator")
class RouteReloadGuard implements CamelContextConfiguration, HealthIndicator {

    private static final Logger log = LoggerFactory.getLogger(RouteReloadGuard.class);
    /** Editors write a file in several steps (truncate, write, rename): each fires a watch event. */
    static final long SETTLE_MILLIS = 300;
    /** The longest a reload waits for the batches in flight to be stored; a stalled database fails it, nothing is lost. */
    static final long DRAIN_SECONDS = 60;

    private final Map<String, String> restartNeeded = new ConcurrentHashMap<>();
    private final ConsumerPause consumerPause;
    private volatile boolean on;

    RouteReloadGuard(ConsumerPause consumerPause) {
        this.consumerPause = consumerPause;
    }

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
        watcher.setResourceReload(new KeepLastGood(camelContext, watcher.getResourceReload(), restartNeeded, consumerPause));
        on = true;
        log.info("Route reload on: an edited {} file in {}/ replaces its routes; a broken edit keeps the previous ones",
                watcher.getPattern(), watcher.getFolder());
    }

    /**
     * UP, as the routes run; after a refused edit its description (shown without the health details) says that a
     * restart is needed and why.
     */
    @Override
    public Health health() {
        Map<String, String> refused = new TreeMap<>(restartNeeded);
        Health.Builder health = refused.isEmpty() ? Health.up()
                : Health.status(new Status(Status.UP.getCode(), "restart Eventflow to apply the edits of " + refused.entrySet().stream()
                        .map(file -> file.getKey() + " (" + file.getValue() + ")").collect(Collectors.joining(", "))));
        return health.withDetail("reload", on ? "on" : "off").withDetail("restartNeeded", refused).build();
    }

    /** Camel's own reload, each save once it settled, with each file's last good text and route ids to fall back on. */
    private static final class KeepLastGood implements ResourceReload {

        private static final List<String> STARTUP_ONLY = List.of("routeTemplate", "routeConfiguration", "templatedRoute");

        private final CamelContext camelContext;
        private final ResourceReload camelReload;
        private final Map<String, String> restartNeeded;
        private final ConsumerPause consumerPause;
        private final ScheduledExecutorService settled;
        private final Map<String, ScheduledFuture<?>> pending = new ConcurrentHashMap<>();
        private final Map<String, String> lastGoodText = new ConcurrentHashMap<>();
        private final Map<String, Set<String>> lastGoodRoutes = new ConcurrentHashMap<>();

        KeepLastGood(CamelContext camelContext, ResourceReload camelReload, Map<String, String> restartNeeded,
                ConsumerPause consumerPause) {
            this.camelContext = camelContext;
            this.camelReload = camelReload;
            this.restartNeeded = restartNeeded;
            this.consumerPause = consumerPause;
            // One thread: reloads never overlap; Camel's executor manager shuts it down with the context.
            this.settled = camelContext.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "RouteReload");
            camelContext.getRoutes().stream()
                    .map(Route::getSourceResource)
                    .filter(resource -> resource != null && resource.exists())
                    .distinct()
                    .forEach(this::remember);
        }

        @Override
        public void onReload(String name, Resource resource) {
            pending.compute(resource.getLocation(), (location, earlier) -> {
                if (earlier != null) {
                    earlier.cancel(false);
                }
                return settled.schedule(() -> reload(name, resource), SETTLE_MILLIS, TimeUnit.MILLISECONDS);
            });
        }

        private void reload(String name, Resource resource) {
            String location = resource.getLocation();
            pending.remove(location);
            if (!location.endsWith(".yaml") && !location.endsWith(".java")) {
                reloadByCamel(name, resource);
                return;
            }
            String text;
            try (InputStream in = resource.getInputStream()) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                log.warn("Routes of {} not reloaded ({}); fix the file and save it again", name, e.toString());
                return;
            }
            String previous = lastGoodText.get(location);
            List<String> startupOnly = location.endsWith(".yaml") && previous != null ? startupOnlyChanges(previous, text) : List.of();
            if (!startupOnly.isEmpty()) {
                String why = String.join(", ", startupOnly) + " changed, which the running routes made from it take only at start";
                restartNeeded.put(name, why);
                log.warn("Routes of {} not reloaded: {}; restart Eventflow to apply the edit (its previous version keeps running)",
                        name, why);
                return;
            }
            String reloadable = location.endsWith(".yaml") ? withoutStartupOnly(text) : text;
            if (reloadable == null) {
                lastGoodText.put(location, text);
                restartNeeded.remove(name);
                log.info("Routes of {} reloaded: none, it declares only what applies at start, unchanged", name);
                return;
            }
            try {
                withQueueConsumersPaused(() -> {
                    removeRestRoutes(location);
                    if (location.endsWith(".java")) {
                        camelReload.onReload(name, resource); // Camel compiles it with the other Java route files
                    } else {
                        PluginHelper.getRoutesLoader(camelContext).updateRoutes(List.of(ResourceHelper.fromString(location, reloadable)));
                    }
                });
                // The text loaded, not the file read again: a save right after this one must not become the last good.
                remember(location, text);
                restartNeeded.remove(name);
                log.info("Routes of {} reloaded: {}", name, routesOf(location));
            } catch (Exception e) {
                boolean restore = previous != null && !routesOf(location).containsAll(lastGoodRoutes.get(location));
                if (restore) {
                    try {
                        removeRestRoutes(location);
                        String previousRoutes = location.endsWith(".yaml") ? withoutStartupOnly(previous) : previous;
                        PluginHelper.getRoutesLoader(camelContext)
                                .updateRoutes(List.of(ResourceHelper.fromString(location, previousRoutes)));
                    } catch (Exception failedAgain) {
                        log.error("Routes of {} lost: its previous version did not build again ({}); restart Eventflow",
                                name, oneLine(failedAgain));
                        return;
                    }
                }
                log.warn("Routes of {} not reloaded ({}); {}", name, oneLine(e),
                        previous == null ? "fix the file and save it again"
                                : restore ? "its previous version was put back and runs"
                                : "its previous version keeps running");
            }
        }

        private void reloadByCamel(String name, Resource resource) {
            try {
                camelReload.onReload(name, resource);
            } catch (Exception e) {
                log.warn("{} not reloaded ({})", name, oneLine(e));
            }
        }

        /**
         * A batch sent to a store route while Camel replaces it is rejected and left unacknowledged on its channel: the
         * queue consumers stop taking messages, their batches are completed and stored, then the routes are replaced,
         * then the consumers take messages again.
         */
        private void withQueueConsumersPaused(Reload reload) throws Exception {
            List<Route> queueConsumers = camelContext.getRoutes().stream()
                    .filter(route -> route.getEndpoint().getEndpointUri().startsWith("spring-rabbitmq:")).toList();
            Set<String> consumerRoutes = queueConsumers.stream().map(Route::getRouteId).collect(Collectors.toSet());
            // The consumers' one pause mechanism: a fault's resume in the meantime leaves them paused.
            List<String> held = consumerPause.hold(camelContext, consumerRoutes);
            try {
                List<AggregateProcessor> batches = queueConsumers.stream().flatMap(route -> aggregators(route.navigate())).toList();
                batches.forEach(AggregateProcessor::forceCompletionOfAllGroups);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_SECONDS);
                while (!drained(consumerRoutes, batches)) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the queue consumers' batches were not stored within " + DRAIN_SECONDS + " s");
                    }
                    TimeUnit.MILLISECONDS.sleep(20); // a poll of the in-flight batches; Camel has no signal for "none left"
                }
                reload.run();
            } finally {
                consumerPause.release(camelContext, held);
            }
        }

        private boolean drained(Set<String> consumerRoutes, List<AggregateProcessor> batches) {
            return batches.stream().allMatch(batch -> batch.getPendingExchangesSize() == 0 && batch.getInProgressCompleteExchanges() == 0)
                    && camelContext.getInflightRepository().browse().stream().noneMatch(inFlight -> consumerRoutes.contains(inFlight.getFromRouteId()));
        }

        private static Stream<AggregateProcessor> aggregators(Navigate<Processor> processors) {
            if (processors == null || !processors.hasNext()) {
                return Stream.empty();
            }
            return processors.next().stream().flatMap(processor -> Stream.concat(
                    processor instanceof AggregateProcessor batch ? Stream.of(batch) : Stream.empty(),
                    processor instanceof Navigate<?> children ? aggregators(navigable(children)) : Stream.empty()));
        }

        @SuppressWarnings("unchecked")
        private static Navigate<Processor> navigable(Navigate<?> children) {
            return (Navigate<Processor>) children;
        }

        private interface Reload {
            void run() throws Exception;
        }

        /**
         * Camel 4.17 adds a file's REST DSL routes again without stopping the running ones of the same id: these go on
         * serving, unlisted, and are never stopped. Removed first, they are replaced.
         */
        private void removeRestRoutes(String location) throws Exception {
            for (Route route : List.copyOf(camelContext.getRoutes())) {
                if (route.isCreatedByRestDsl() && fromFile(route, location)) {
                    camelContext.getRouteController().stopRoute(route.getRouteId());
                    camelContext.removeRoute(route.getRouteId());
                }
            }
        }

        /**
         * The text with its route templates, route configurations and templated routes blanked out (lines kept, so
         * routes keep their line numbers), or null when nothing else is left. Camel 4.17 given a templated route again
         * builds it anew and stops the running consumer's error handler: its batches are then rejected, unacknowledged.
         * Unchanged (checked before), they are left as they run.
         */
        private static String withoutStartupOnly(String text) {
            Node document;
            try {
                document = new Yaml(new SafeConstructor(new LoaderOptions())).compose(new StringReader(text));
            } catch (YAMLException e) {
                return text; // Camel's reload says what is wrong with it
            }
            if (!(document instanceof SequenceNode entries)) {
                return text;
            }
            char[] blanked = text.toCharArray();
            int kept = 0;
            boolean any = false;
            for (Node entry : entries.getValue()) {
                if (!(entry instanceof MappingNode map) || map.getValue().isEmpty()
                        || !(map.getValue().get(0).getKeyNode() instanceof ScalarNode key)
                        || !STARTUP_ONLY.contains(key.getValue())) {
                    kept++;
                    continue;
                }
                any = true;
                int start = text.lastIndexOf('-', entry.getStartMark().getIndex());
                for (int i = start; i < entry.getEndMark().getIndex(); i++) {
                    if (blanked[i] != '\n') {
                        blanked[i] = ' ';
                    }
                }
            }
            return kept == 0 ? null : any ? new String(blanked) : text;
        }

        /** The route templates, route configurations and templated routes whose definition differs between two texts. */
        private static List<String> startupOnlyChanges(String before, String after) {
            Map<String, Object> old = startupOnlyEntries(before);
            Map<String, Object> now = startupOnlyEntries(after);
            if (old == null || now == null) {
                return List.of(); // not YAML Camel can read: Camel's reload says why
            }
            List<String> changed = new ArrayList<>();
            now.forEach((entry, definition) -> {
                if (!definition.equals(old.get(entry))) {
                    changed.add(entry);
                }
            });
            old.keySet().stream().filter(entry -> !now.containsKey(entry)).forEach(changed::add);
            return changed;
        }

        /** {@code "route template batch-consumer"} to its definition, or null if the text is not a YAML route list. */
        private static Map<String, Object> startupOnlyEntries(String text) {
            Object document;
            try {
                document = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
            } catch (YAMLException e) {
                return null;
            }
            if (!(document instanceof List<?> entries)) {
                return null;
            }
            Map<String, Object> found = new TreeMap<>();
            for (Object entry : entries) {
                if (entry instanceof Map<?, ?> map) {
                    for (String kind : STARTUP_ONLY) {
                        if (map.get(kind) instanceof Map<?, ?> definition) {
                            Object id = definition.get(kind.equals("templatedRoute") ? "routeId" : "id");
                            found.put(words(kind) + " " + id, definition);
                        }
                    }
                }
            }
            return found;
        }

        private static String words(String kind) {
            return switch (kind) {
                case "routeTemplate" -> "route template";
                case "routeConfiguration" -> "route configuration";
                default -> "templated route";
            };
        }

        private void remember(Resource resource) {
            try (InputStream in = resource.getInputStream()) {
                remember(resource.getLocation(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                log.warn("Could not keep a copy of {} to fall back on: {}", resource.getLocation(), e.toString());
            }
        }

        private void remember(String location, String text) {
            lastGoodText.put(location, text);
            lastGoodRoutes.put(location, routesOf(location));
        }

        private Set<String> routesOf(String location) {
            return camelContext.getRoutes().stream()
                    .filter(route -> fromFile(route, location))
                    .map(Route::getRouteId)
                    .collect(Collectors.toCollection(TreeSet::new));
        }

        private static boolean fromFile(Route route, String location) {
            return route.getSourceResource() != null && location.equals(route.getSourceResource().getLocation());
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
