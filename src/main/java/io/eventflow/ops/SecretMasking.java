package io.eventflow.ops;

import java.util.function.Predicate;

import io.eventflow.config.EventflowProperties;
import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.stereotype.Component;

/**
 * Masks secrets in {@code /actuator/env} and {@code /actuator/configprops} even when an operator sets their
 * {@code show-values} to {@code always}: any key Spring Boot finds likely sensitive (password, secret, key, token,
 * credentials, a URI with a password), and any value that holds the cipher key, such as the JVM's command line
 * ({@code sun.java.command}) when the key is given as {@code --eventflow.cipher.key=...}.
 */
@Component
class SecretMasking implements SanitizingFunction {

    private final String cipherKey;

    SecretMasking(EventflowProperties properties) {
        this.cipherKey = properties.cipher().key().trim();
    }

    @Override
    public SanitizableData apply(SanitizableData data) {
        return data.withSanitizedValue();
    }

    @Override
    public Predicate<SanitizableData> filter() {
        SanitizingFunction likelySensitive = SanitizingFunction.sanitizeValue().ifLikelySensitive();
        return data -> likelySensitive.filter().test(data)
                || (!cipherKey.isEmpty() && data.getValue() != null && data.getValue().toString().contains(cipherKey));
    }
}
