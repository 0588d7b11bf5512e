package io.eventflow.processing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpServer;
import io.eventflow.config.EventflowProperties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/** The word service when it answers, and the bundled list when it is slow, failing or talking nonsense. */
class SecretWordsTest {

    private final HttpServer server = startServer();
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile int status = 200;
    private volatile String body = "[\"quokka\"]";
    private volatile boolean hang;

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
    }

    @Test
    void takesTheWordTheServiceAnswers() {
        assertThat(words().next()).isEqualTo("quokka");
        body = "wombat";
        assertThat(words().next()).isEqualTo("wombat");
    }

    @Test
    void fallsBackToTheBundledListWhenTheServiceFails() {
        status = 500;
        assertThat(bundled()).contains(words().next());
    }

    @Test
    void fallsBackWhenTheServiceIsSlowerThanTheTimeout() {
        hang = true;
        long start = System.nanoTime();
        String word = words().next();

        assertThat(bundled()).contains(word);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(3000);
    }

    @Test
    void fallsBackWhenTheAnswerIsNotAWord() {
        body = "[]";
        assertThat(bundled()).contains(words().next());
    }

    @Test
    void withoutAUrlUsesTheBundledList() {
        SecretWords words = new SecretWords(properties(Map.of()));
        assertThat(bundled()).contains(words.next());
    }

    private SecretWords words() {
        return new SecretWords(properties(Map.of(
                "eventflow.words.url", "http://127.0.0.1:" + server.getAddress().getPort() + "/word",
                "eventflow.words.timeout", "300ms")));
    }

    private static EventflowProperties properties(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(new HashMap<>(values))).bindOrCreate("eventflow", EventflowProperties.class);
    }

    private static List<String> bundled() {
        try (var in = SecretWordsTest.class.getResourceAsStream("/words.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpServer startServer() {
        try {
            HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            http.createContext("/word", exchange -> {
                if (hang) {
                    try {
                        release.await(5, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                byte[] answer = body.getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(status, answer.length);
                exchange.getResponseBody().write(answer);
                exchange.close();
            });
            http.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
            http.start();
            return http;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
