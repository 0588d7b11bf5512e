package io.eventflow.processing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventflow.config.EventflowProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Picks the secret word of an active event: from the word list shipped in the app, or, when
 * {@code eventflow.words.url} is set, from that HTTP word service (plain text, or a JSON string or array of
 * strings as random-word APIs answer), falling back to the list when it is slow or failing.
 */
@Component
public class SecretWords {

    private static final Logger LOG = LoggerFactory.getLogger(SecretWords.class);

    private final List<String> words;
    private final URI url;
    private final Duration timeout;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();

    public SecretWords(EventflowProperties properties) {
        this.words = bundledWords();
        this.url = properties.words().url();
        this.timeout = properties.words().timeout();
        this.http = url == null ? null : HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    public String next() {
        if (url != null) {
            try {
                return fromService();
            } catch (IOException | RuntimeException e) {
                LOG.debug("Word service {} failed ({}), using the bundled list", url, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return words.get(ThreadLocalRandom.current().nextInt(words.size()));
    }

    private String fromService() throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(url).timeout(timeout).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("HTTP " + response.statusCode());
        }
        String body = response.body().trim();
        String word = body;
        if (body.startsWith("[") || body.startsWith("\"")) {
            JsonNode node = json.readTree(body);
            word = (node.isArray() ? node.path(0) : node).asText("");
        }
        if (word.isBlank() || word.length() > 64) {
            throw new IOException("not a word: " + body.length() + " chars");
        }
        return word;
    }

    private static List<String> bundledWords() {
        try (InputStream in = SecretWords.class.getResourceAsStream("/words.txt")) {
            if (in == null) {
                throw new IllegalStateException("words.txt is missing from the classpath");
            }
            List<String> list = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .map(String::trim).filter(w -> !w.isEmpty() && !w.startsWith("#")).toList();
            if (list.isEmpty()) {
                throw new IllegalStateException("words.txt holds no words");
            }
            return list;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
