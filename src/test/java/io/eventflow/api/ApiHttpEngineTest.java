package io.eventflow.api;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.config.EventflowProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.platform.http.DefaultPlatformHttpConsumer;
import org.apache.camel.component.platform.http.springboot.SpringBootPlatformHttpConsumer;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.mock.env.MockEnvironment;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The REST routes' own pool: when its threads and queue are full, a request is answered busy at once, whether it came
 * through Spring MVC or straight from the servlet filter in front (the ingest's path).
 */
class ApiHttpEngineTest {

    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger working = new AtomicInteger();
    private final AtomicReference<Object> arrivedAt = new AtomicReference<>();
    private ApiHttpEngine engine;

    @AfterEach
    void stop() throws InterruptedException {
        release.countDown();
        engine.destroy();
        camel.stop();
    }

    @Test
    void aRequestFindingEveryThreadAndQueueSlotTakenIsBusyAtOnceAndTheOthersCarryTheirArrival() throws Exception {
        startHeldRoute("platform-http:/api/events");
        SpringBootPlatformHttpConsumer consumer = (SpringBootPlatformHttpConsumer)
                ((DefaultPlatformHttpConsumer) camel.getRoute("held").getConsumer()).getPlatformHttpConsumer();

        MockHttpServletResponse running = new MockHttpServletResponse();
        var first = consumer.service(post(), running);
        await().atMost(10, TimeUnit.SECONDS).until(() -> working.get() == 1);
        var queued = consumer.service(post(), new MockHttpServletResponse());
        MockHttpServletResponse refused = new MockHttpServletResponse();
        var third = consumer.service(post(), refused);

        assertThat(third).isNull();
        assertThat(refused.getStatus()).isEqualTo(503);
        assertThat(refused.getContentType()).isEqualTo("application/problem+json");
        assertThat(refused.getHeader("Retry-After")).isEqualTo("1");
        assertThat(new ObjectMapper().readValue(refused.getContentAsByteArray(), Map.class))
                .containsEntry("title", "Eventflow is busy").containsEntry("status", 503).containsEntry("accepted", 0);
        assertThat(working.get()).isEqualTo(1);

        release.countDown();
        first.get(10, TimeUnit.SECONDS);
        queued.get(10, TimeUnit.SECONDS);
        assertThat(working.get()).isEqualTo(2);
        assertThat(arrivedAt.get()).isInstanceOf(Long.class);
    }

    @Test
    void aRequestHandedOverDirectlyRunsItsRouteAndIsBusyAtOnceWhenThePoolIsFull() throws Exception {
        startHeldRoute("platform-http:/api/events?httpMethodRestrict=POST");

        MockHttpServletRequest first = post();
        MockHttpServletResponse running = new MockHttpServletResponse();
        assertThat(engine.serveDirectly(first, running)).isTrue();
        await().atMost(10, TimeUnit.SECONDS).until(() -> working.get() == 1);
        MockHttpServletRequest second = post();
        MockHttpServletResponse queued = new MockHttpServletResponse();
        assertThat(engine.serveDirectly(second, queued)).isTrue();
        MockHttpServletResponse refused = new MockHttpServletResponse();
        assertThat(engine.serveDirectly(post(), refused)).isTrue();

        assertThat(refused.getStatus()).isEqualTo(503);
        assertThat(refused.getHeader("Retry-After")).isEqualTo("1");
        assertThat(new ObjectMapper().readValue(refused.getContentAsByteArray(), Map.class))
                .containsEntry("title", "Eventflow is busy").containsEntry("accepted", 0);
        assertThat(working.get()).isEqualTo(1);

        release.countDown();
        await().atMost(10, TimeUnit.SECONDS).until(() -> !first.isAsyncStarted() && !second.isAsyncStarted());
        assertThat(running.getStatus()).isEqualTo(202);
        assertThat(running.getContentAsString()).isEqualTo("{\"accepted\": 1}");
        assertThat(queued.getStatus()).isEqualTo(202);
        assertThat(arrivedAt.get()).isInstanceOf(Long.class);

        // Another method or path is not the route's: the caller passes the request on to Spring MVC.
        MockHttpServletRequest get = withPath("/api/events");
        get.setMethod("GET");
        assertThat(engine.serveDirectly(get, new MockHttpServletResponse())).isFalse();
        assertThat(engine.serveDirectly(withPath("/api/other"), new MockHttpServletResponse())).isFalse();
    }

    /** An engine of one thread and one queue slot, and a route "held" that waits for {@link #release}, then answers 202. */
    private void startHeldRoute(String uri) throws Exception {
        EventflowProperties properties = new Binder(new MapConfigurationPropertySource(
                Map.of("eventflow.http.threads", "1", "eventflow.http.queue", "1"))).bindOrCreate("eventflow", EventflowProperties.class);
        engine = new ApiHttpEngine(properties, new MockEnvironment(), new SimpleMeterRegistry());
        camel.getRegistry().bind("platform-http-engine", engine);
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(uri).routeId("held").process(exchange -> {
                    arrivedAt.compareAndSet(null, exchange.getProperty(ApiHttpEngine.ARRIVED_AT));
                    working.incrementAndGet();
                    release.await(10, TimeUnit.SECONDS);
                    exchange.getMessage().setHeader("CamelHttpResponseCode", 202);
                    exchange.getMessage().setBody("{\"accepted\": 1}");
                });
            }
        });
        camel.start();
    }

    private static MockHttpServletRequest withPath(String path) {
        MockHttpServletRequest request = post();
        request.setRequestURI(path);
        request.setServletPath(path);
        return request;
    }

    private static MockHttpServletRequest post() {
        MockHttpServletRequest request = new ArrivedBodyRequest();
        request.setServletPath("/api/events");
        request.setAsyncSupported(true);
        request.setContentType("application/json");
        request.setContent("{\"eventType\":\"passiveEvent\"}".getBytes());
        return request;
    }

    /** A request whose body has fully arrived: its stream tells a read listener so at once, as the container does. */
    private static final class ArrivedBodyRequest extends MockHttpServletRequest {

        ArrivedBodyRequest() {
            super("POST", "/api/events");
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream body = new ByteArrayInputStream(getContentAsByteArray());
            return new ServletInputStream() {
                @Override
                public int read() {
                    return body.read();
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
                    try {
                        listener.onDataAvailable();
                        listener.onAllDataRead();
                    } catch (IOException e) {
                        listener.onError(e);
                    }
                }
            };
        }
    }
}
