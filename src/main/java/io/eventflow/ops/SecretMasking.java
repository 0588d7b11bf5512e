package io.eventflow.ops;

import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

import io.eventflow.config.EventflowProperties;
import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.stereotype.Component;

/**
 * Masks secrets in {@code /actuator/env} and {@code /actuator/configprops} even when an operator sets their
 * {@code show-values} to {@code always}: any key Spring Boot finds likely sensitive (password, secret, key, token,
 * credentials, a URI with a password), and any value that holds a cipher key, such as the JVM's command line
 * ({@code sun.java.command}) when the key is given as {@code --eventflow.cipher.key=...} or {@code --eventflow.cipher.keys.<id>=...}.
 */
@Component
class SecretMasking implements SanitizingFunction {

    private final List<String> cipherKeys;

    SecretMasking(EventflowProperties properties) {
        this.cipherKeys = Stream.concat(Stream.of(properties.cipher().key()), properties.cipher().keys().values().stream())
                .map(String::trim).filter(key -> !key.isEmpty()).toList();
    }

    @Override
    public SanitizableData apply(SanitizableData data) {
        return data.withSanitizedValue();
    }

    @Override
    public Predicate<SanitizableData> filter() {
        SanitizingFunction likelySensitive = SanitizingFunction.sanitizeValue().ifLikelySensitive();
        return data -> likelySensitive.filter().test(data)
                || (data.getValue() != null && cipherKeys.stream().anyMatch(data.getValue().toString()::contains));
    }
}
