package io.eventflow.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The API keys allowed to post events, known only by their SHA-256: a presented key is hashed once and compared with
 * every configured hash in constant time. A key is high-entropy random bytes, so a fast hash is enough (no bcrypt per
 * request); configuration and logs never hold a key.
 */
final class ApiKeys {

    static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");

    private final List<byte[]> hashes;

    ApiKeys(Map<String, String> hashesByName) {
        this.hashes = hashesByName.values().stream().map(hex -> HexFormat.of().parseHex(hex)).toList();
    }

    boolean isEmpty() {
        return hashes.isEmpty();
    }

    /** Whether the key's hash is one of the configured ones; every hash is compared, so timing tells nothing. */
    boolean accepts(String key) {
        byte[] presented = sha256(key);
        boolean found = false;
        for (byte[] hash : hashes) {
            found |= MessageDigest.isEqual(hash, presented);
        }
        return found;
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
