package io.eventflow.api;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.eventflow.config.EventflowProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
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
 * Its body is read without a thread before it queues for one ({@link DirectRequest}).
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
    private final Counter busyDeadline;
    private final long bodyTimeoutMs;
    private final long requestTimeoutMs;
    /** Answers the requests whose body or deadline passed; one thread, its tasks only write a short answer. */
    private final ScheduledThreadPoolExecutor deadlines;
    /** Consumers of a literal path, by "METHOD /path", that {@link #serveDirectly} can hand a request to. */
    private final Map<String, Consumer> direct = new ConcurrentHashMap<>();

    public ApiHttpEngine(EventflowProperties properties, Environment environment, MeterRegistry meters) {
        this.port = environment.getProperty("server.port", Integer.class, 8080);
        EventflowProperties.Http http = properties.http();
        this.executor = new ThreadPoolExecutor(http.threads(), http.threads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(http.queue()), new CustomizableThreadFactory("api-http-"), new ThreadPoolExecutor.AbortPolicy());
        this.busy = Counter.builder("eventflow.api.busy").tag("reason", "threads")
                .description("requests refused because Eventflow was busy").register(meters);
        this.busyDeadline = Counter.builder("eventflow.api.busy").tag("reason", "deadline")
                .description("requests refused because Eventflow was busy").register(meters);
        this.requestTimeoutMs = properties.ingest().requestTimeoutMs();
        this.bodyTimeoutMs = Math.min(http.bodyTimeoutMs(), requestTimeoutMs);
        CustomizableThreadFactory deadlineThreads = new CustomizableThreadFactory("api-deadlines-");
        deadlineThreads.setDaemon(true);
        this.deadlines = new ScheduledThreadPoolExecutor(1, deadlineThreads);
        // A request served in time cancels its deadline: drop it from the queue then, not when it would have run.
        this.deadlines.setRemoveOnCancelPolicy(true);
    }

    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        return new Consumer(endpoint, processor);
    }

    /**
     * Serves the request outside Spring MVC if a route consumes exactly its method and path: reads its body without a
     * thread ({@link DirectRequest}), then runs the route on the pool, or answers busy at once if the pool and its queue
     * are full. False when no route does: the caller goes on.
     */
    public boolean serveDirectly(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Consumer consumer = direct.get(request.getMethod() + " " + ApiGate.path(request));
        if (consumer == null) {
            return false;
        }
        long arrived = System.nanoTime();
        request.setAttribute(ARRIVED_AT, arrived);
        AsyncContext async = request.startAsync(request, response);
        async.setTimeout(0); // the request's own deadlines answer it
        new DirectRequest(consumer, request, response, async, arrived).start();
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
        deadlines.shutdownNow();
        executor.shutdown();
        executor.awaitTermination(10, TimeUnit.SECONDS);
    }

    /**
     * One request served outside Spring MVC, answered exactly once: its body is read as it arrives (a slow or stalled
     * client holds a socket, never a pool thread), then its route runs on the pool. A body not complete by
     * {@code eventflow.http.body-timeout-ms} is answered 408; a request still waiting for a thread at its deadline
     * ({@code eventflow.ingest.request-timeout-ms}) is answered busy then, not when a thread frees. A client that left
     * ends it quietly: no answer, no exception out of a pool thread, no async request left open.
     */
    private final class DirectRequest implements ReadListener, AsyncListener, Runnable {

        private static final int READING = 0;
        private static final int QUEUED = 1;
        private static final int RUNNING = 2;
        private static final int DONE = 3;

        private final Consumer consumer;
        private final HttpServletRequest request;
        private final HttpServletResponse response;
        private final AsyncContext async;
        private final long arrived;
        private final AtomicInteger state = new AtomicInteger(READING);
        private byte[] body;
        private int read;
        private ServletInputStream input;
        private volatile ScheduledFuture<?> deadline;

        DirectRequest(Consumer consumer, HttpServletRequest request, HttpServletResponse response, AsyncContext async, long arrived) {
            this.consumer = consumer;
            this.request = request;
            this.response = response;
            this.async = async;
            this.arrived = arrived;
        }

        void start() throws IOException {
            // ApiGate refused a body over the limit and one of unknown length: the length is known and small.
            body = new byte[(int) Math.max(0, request.getContentLengthLong())];
            async.addListener(this);
            deadline = deadlines.schedule(this::deadlinePassed, bodyTimeoutMs, TimeUnit.MILLISECONDS);
            input = request.getInputStream();
            input.setReadListener(this);
        }

        @Override
        public void onDataAvailable() throws IOException {
            while (read < body.length && input.isReady()) {
                int n = input.read(body, read, body.length - read);
                if (n < 0) {
                    return;
                }
                read += n;
            }
        }

        @Override
        public void onAllDataRead() {
            if (!state.compareAndSet(READING, QUEUED)) {
                return;
            }
            try {
                executor.execute(this);
            } catch (RejectedExecutionException e) {
                if (state.compareAndSet(QUEUED, DONE)) {
                    deadline.cancel(false);
                    refuseBusy(response);
                    complete();
                }
            }
        }

        @Override
        public void run() {
            if (!state.compareAndSet(QUEUED, RUNNING)) {
                return;
            }
            deadline.cancel(false);
            try {
                consumer.serve(new BufferedBody(request, body, read), response);
            } catch (Exception e) {
                consumer.failed(response, e);
            } finally {
                if (state.getAndSet(DONE) == RUNNING) {
                    complete();
                }
            }
        }

        /** The body's deadline, and for a request still waiting for a thread then, its own deadline. */
        private void deadlinePassed() {
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - arrived);
            if (state.compareAndSet(READING, DONE)) {
                answer(new ProblemException(408, "Request body timeout", "the body had " + read + " of its " + body.length
                        + " bytes after " + waitedMs + " ms, past the limit of " + bodyTimeoutMs + " ms; nothing was published"));
            } else if (state.get() == QUEUED && waitedMs < requestTimeoutMs) {
                deadline = deadlines.schedule(this::deadlinePassed, requestTimeoutMs - waitedMs, TimeUnit.MILLISECONDS);
            } else if (state.compareAndSet(QUEUED, DONE)) {
                busyDeadline.increment();
                answer(ProblemException.busy("the request waited " + waitedMs + " ms for a thread, past its deadline of "
                        + requestTimeoutMs + " ms"));
            }
        }

        private void answer(ProblemException problem) {
            try {
                // The rest of the body, if any, is not read: closing the connection spares reading it.
                response.setHeader("Connection", "close");
                problem.writeTo(response);
            } catch (IOException | RuntimeException gone) {
                // The client left; there is no one to answer.
            }
            complete();
        }

        /** The body broke off: the client left half-way. */
        @Override
        public void onError(Throwable failure) {
            ended();
        }

        /** The client left while the request was open (Tomcat completes it after this). */
        @Override
        public void onError(AsyncEvent event) {
            ended();
        }

        private void ended() {
            int was = state.getAndSet(DONE);
            if (was == READING || was == QUEUED) {
                deadline.cancel(false);
                complete();
            }
        }

        private void complete() {
            try {
                async.complete();
            } catch (IllegalStateException alreadyCompleted) {
                // The container completed it when the client left.
            }
        }

        @Override
        public void onComplete(AsyncEvent event) {
            state.set(DONE);
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            // No container timeout is set: the deadlines above answer.
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            // Started once, by serveDirectly.
        }
    }

    /** The request with its body already read: the route reads it from memory. */
    private static final class BufferedBody extends HttpServletRequestWrapper {

        private final ByteArrayInputStream body;

        BufferedBody(HttpServletRequest request, byte[] body, int length) {
            super(request);
            this.body = new ByteArrayInputStream(body, 0, length);
        }

        @Override
        public ServletInputStream getInputStream() {
            return new ServletInputStream() {
                @Override
                public int read() {
                    return body.read();
                }

                @Override
                public int read(byte[] bytes, int offset, int length) {
                    return body.read(bytes, offset, length);
                }

                @Override
                public boolean isFinished() {
                    return body.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new IllegalStateException("the body was read already");
                }
            };
        }
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
            } catch (IOException | IllegalStateException gone) {
                // The client left (and the container may have recycled the response).
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
