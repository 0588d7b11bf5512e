package io.eventflow.api;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.eventflow.config.EventflowProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.component.platform.http.spi.PlatformHttpEngine;
import org.apache.camel.component.platform.http.springboot.PlatformHttpMessage;
import org.apache.camel.component.platform.http.springboot.SpringBootPlatformHttpConsumer;
import org.apache.camel.spi.UnitOfWork;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.core.env.Environment;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;
import org.springframework.stereotype.Component;

/**
 * Runs the REST routes (platform-http on Spring MVC) on a pool of their own, sized and bounded by
 * {@code eventflow.http.threads} and {@code eventflow.http.queue}, instead of Spring's shared task executor. When both
 * are full a request is answered at once with the busy problem and {@code Retry-After}, never left waiting. Each
 * exchange carries when its request arrived ({@link #ARRIVED_AT}, {@link System#nanoTime()}), so a deadline counts
 * the time it waited for a thread.
 * <p>
 * A request the {@link #serveDirectly servlet filter in front} hands over is processed without Spring MVC: the
 * filter chain and the handler mapping run once, and the answer completes the servlet's async context instead of
 * dispatching the request through them a second time. That halves the container's share of a one-event request.
 * Every other request reaches its route through Spring MVC, as with the starter's engine.
 * <p>
 * Replaces camel-platform-http-starter's engine, which backs off when a bean named {@code platform-http-engine} exists.
 */
@Component("platform-http-engine")
public class ApiHttpEngine implements PlatformHttpEngine, DisposableBean {

    /** Exchange property and request attribute: {@link System#nanoTime()} when the request reached the API. */
    public static final String ARRIVED_AT = "eventflow.arrivedAt";

    private final int port;
    private final ThreadPoolExecutor executor;
    private final Counter busy;
    /** Consumers of a literal path, by "METHOD /path", that {@link #serveDirectly} can hand a request to. */
    private final Map<String, Consumer> direct = new ConcurrentHashMap<>();

    public ApiHttpEngine(EventflowProperties properties, Environment environment, MeterRegistry meters) {
        this.port = environment.getProperty("server.port", Integer.class, 8080);
        EventflowProperties.Http http = properties.http();
        this.executor = new ThreadPoolExecutor(http.threads(), http.threads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(http.queue()), new CustomizableThreadFactory("api-http-"), new ThreadPoolExecutor.AbortPolicy());
        this.busy = Counter.builder("eventflow.api.busy").tag("reason", "threads")
                .description("requests refused because Eventflow was busy").register(meters);
    }

    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        return new Consumer(endpoint, processor);
    }

    /**
     * Runs the request's route on the pool, outside Spring MVC, if a route consumes exactly its method and path;
     * answers busy at once if the pool and its queue are full. False when no route does: the caller goes on.
     */
    public boolean serveDirectly(HttpServletRequest request, HttpServletResponse response) {
        Consumer consumer = direct.get(request.getMethod() + " " + ApiGate.path(request));
        if (consumer == null) {
            return false;
        }
        request.setAttribute(ARRIVED_AT, System.nanoTime());
        AsyncContext async = request.startAsync(request, response);
        async.setTimeout(0); // the route answers within the request's deadline
        try {
            executor.execute(() -> {
                try {
                    consumer.serve(request, response);
                } catch (Exception e) {
                    consumer.failed(response, e);
                } finally {
                    async.complete();
                }
            });
        } catch (RejectedExecutionException e) {
            refuseBusy(response);
            async.complete();
        }
        return true;
    }

    private void refuseBusy(HttpServletResponse response) {
        busy.increment();
        try {
            ProblemException.busy("all " + executor.getMaximumPoolSize() + " request threads are working and "
                    + executor.getQueue().size() + " requests wait for one").writeTo(response);
        } catch (IOException gone) {
            // The client left; there is no one to answer.
        }
    }

    @Override
    public int getServerPort() {
        return port;
    }

    @Override
    public void destroy() throws InterruptedException {
        executor.shutdown();
        executor.awaitTermination(10, TimeUnit.SECONDS);
    }

    private final class Consumer extends SpringBootPlatformHttpConsumer {

        Consumer(PlatformHttpEndpoint endpoint, Processor processor) {
            super(endpoint, processor, executor);
        }

        @Override
        protected void doStart() throws Exception {
            super.doStart();
            directKey().ifPresent(key -> direct.put(key, this));
        }

        @Override
        protected void doStop() throws Exception {
            directKey().ifPresent(key -> direct.remove(key, this));
            super.doStop();
        }

        /** "POST /api/events" for a route of one method and a path without parameters. */
        private Optional<String> directKey() {
            String method = getEndpoint().getHttpMethodRestrict();
            String path = getEndpoint().getPath();
            return method == null || method.contains(",") || path.contains("{")
                    ? Optional.empty() : Optional.of(method + " " + path);
        }

        void serve(HttpServletRequest request, HttpServletResponse response) throws Exception {
            handleService(request, response);
        }

        void failed(HttpServletResponse response, Exception e) {
            getExceptionHandler().handleException("Failed to serve " + getEndpoint().getPath(), e);
            try {
                if (!response.isCommitted()) {
                    ProblemException.internal("the request").writeTo(response);
                }
            } catch (IOException gone) {
                // The client left.
            }
        }

        @Override
        public CompletableFuture<Void> service(HttpServletRequest request, HttpServletResponse response) {
            request.setAttribute(ARRIVED_AT, System.nanoTime());
            try {
                return super.service(request, response);
            } catch (RejectedExecutionException e) {
                refuseBusy(response);
                // Null tells Spring MVC the response is complete: no async dispatch for it.
                return null;
            }
        }

        @Override
        public UnitOfWork createUoW(Exchange exchange) throws Exception {
            if (exchange.getIn() instanceof PlatformHttpMessage message) {
                exchange.setProperty(ARRIVED_AT, message.getRequest().getAttribute(ARRIVED_AT));
            }
            return super.createUoW(exchange);
        }
    }
}
