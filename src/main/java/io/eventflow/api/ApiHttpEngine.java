package io.eventflow.api;

import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.config.EventflowProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
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
 * Replaces camel-platform-http-starter's engine, which backs off when a bean named {@code platform-http-engine} exists.
 */
@Component("platform-http-engine")
public class ApiHttpEngine implements PlatformHttpEngine, DisposableBean {

    /** Exchange property and request attribute: {@link System#nanoTime()} when the request reached the API. */
    public static final String ARRIVED_AT = "eventflow.arrivedAt";

    private final int port;
    private final ThreadPoolExecutor executor;
    private final Counter busy;
    private final ObjectMapper json = new ObjectMapper();

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

        private void refuseBusy(HttpServletResponse response) {
            busy.increment();
            ProblemException problem = ProblemException.busy("all " + executor.getMaximumPoolSize() + " request threads are working and "
                    + executor.getQueue().size() + " requests wait for one");
            try {
                response.setStatus(problem.status());
                response.setContentType("application/problem+json");
                response.setHeader("Retry-After", String.valueOf(problem.retryAfter()));
                json.writeValue(response.getOutputStream(), problem.body());
            } catch (IOException gone) {
                // The client left; there is no one to answer.
            }
        }
    }
}
