package io.eventflow.processing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import io.eventflow.config.EventflowProperties;
import io.eventflow.config.Role;
import io.eventflow.config.StartRefusedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * AES-256-GCM for the secret word: a random 12-byte IV per message, sent as base64 of IV followed by the
 * ciphertext and its 16-byte tag, with the id of the key that sealed it. Several keys may open (a rotation adds the
 * new key everywhere before any process seals with it); one seals. A wrong key or a changed byte fails the tag check,
 * and a key id this process does not have fails at once: either way the message is poison.
 */
@Component
public class SecretCipher {

    /** The id of {@code eventflow.cipher.key} (or the key file): the key of topic3 messages that carry no key id. */
    public static final String DEFAULT_KEY_ID = "default";

    private static final Logger LOG = LoggerFactory.getLogger(SecretCipher.class);
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final int KEY_BYTES = 32;
    private static final Pattern KEY_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");

    private final SecureRandom random = new SecureRandom();
    private final Map<String, SecretKey> keys;
    private final String sealingKeyId;
    private final SecretKey sealingKey;
    // Looking the transformation up costs more than the cipher itself; a Cipher is not thread-safe.
    private final ThreadLocal<Cipher> ciphers = ThreadLocal.withInitial(SecretCipher::newCipher);

    @Autowired
    public SecretCipher(EventflowProperties properties) {
        this(loadKeys(properties), properties.cipher().sealingKeyId());
    }

    SecretCipher(byte[] key) {
        this(Map.of(DEFAULT_KEY_ID, key), null);
    }

    /** {@code sealingKeyId} null or blank: {@value #DEFAULT_KEY_ID} if given, else the only key. */
    SecretCipher(Map<String, byte[]> keys, String sealingKeyId) {
        Map<String, SecretKey> specs = new TreeMap<>();
        keys.forEach((id, key) -> {
            if (!KEY_ID.matcher(id).matches()) {
                throw new StartRefusedException("cipher key id '" + id + "' is not a key id",
                        "Name each key of eventflow.cipher.keys with lower-case letters, digits and '-' (at most 40), e.g. 2026-12.");
            }
            if (key.length != KEY_BYTES) {
                throw new StartRefusedException("cipher key '" + id + "' is " + key.length + " bytes; AES-256 needs " + KEY_BYTES,
                        "Give it as base64 of 32 random bytes: head -c 32 /dev/urandom | base64");
            }
            specs.put(id, new SecretKeySpec(key, "AES"));
        });
        this.keys = Collections.unmodifiableMap(specs);
        this.sealingKeyId = sealingKeyId(specs, sealingKeyId);
        this.sealingKey = specs.get(this.sealingKeyId);
    }

    private static String sealingKeyId(Map<String, SecretKey> keys, String configured) {
        if (configured != null && !configured.isBlank()) {
            if (!keys.containsKey(configured.trim())) {
                throw new StartRefusedException("eventflow.cipher.sealing-key-id is '" + configured.trim()
                        + "', a key this process does not have (it has " + keys.keySet() + ")",
                        "Give the key as eventflow.cipher.keys." + configured.trim() + " (or a file of that name in EVENTFLOW_SECRETS_DIR), "
                        + "or seal with one of " + keys.keySet() + ".");
            }
            return configured.trim();
        }
        if (keys.containsKey(DEFAULT_KEY_ID)) {
            return DEFAULT_KEY_ID;
        }
        if (keys.size() == 1) {
            return keys.keySet().iterator().next();
        }
        throw new StartRefusedException("several cipher keys " + keys.keySet() + " and none chosen to seal",
                "Set eventflow.cipher.sealing-key-id to one of " + keys.keySet() + ".");
    }

    /** The id of the key {@link #encrypt} seals with, sent with each sealed word as {@code secretKeyId}. */
    public String sealingKeyId() {
        return sealingKeyId;
    }

    /** The ids of the keys this process opens with. */
    public Set<String> keyIds() {
        return keys.keySet();
    }

    /** Sealed with the key of {@link #sealingKeyId()}. */
    public String encrypt(String plaintext) {
        byte[] iv = new byte[IV_BYTES];
        random.nextBytes(iv);
        try {
            Cipher cipher = ciphers.get();
            cipher.init(Cipher.ENCRYPT_MODE, sealingKey, new GCMParameterSpec(TAG_BITS, iv));
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(ByteBuffer.allocate(IV_BYTES + sealed.length).put(iv).put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JVM", e);
        }
    }

    /** Opens a value sealed without a key id (by an Eventflow before key ids): with the key {@value #DEFAULT_KEY_ID}. */
    public String decrypt(String secretValue) {
        return decrypt(null, secretValue);
    }

    /** Opens a value sealed with the key {@code keyId} ({@value #DEFAULT_KEY_ID} if null). */
    public String decrypt(String keyId, String secretValue) {
        String id = keyId == null ? DEFAULT_KEY_ID : keyId;
        SecretKey key = keys.get(id);
        if (key == null) {
            throw new PoisonMessageException("secretValue is sealed with cipher key '" + id + "', which this process does not have"
                    + " (it has " + keys.keySet() + ")");
        }
        byte[] data;
        try {
            data = Base64.getDecoder().decode(secretValue);
        } catch (IllegalArgumentException e) {
            throw new PoisonMessageException("secretValue is not base64");
        }
        if (data.length < IV_BYTES + TAG_BITS / 8) {
            throw new PoisonMessageException("secretValue is too short to be AES-GCM");
        }
        try {
            Cipher cipher = ciphers.get();
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, data, 0, IV_BYTES));
            return new String(cipher.doFinal(data, IV_BYTES, data.length - IV_BYTES), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new PoisonMessageException("secretValue does not decrypt: wrong key or tampered ciphertext");
        }
    }

    private static Cipher newCipher() {
        try {
            return Cipher.getInstance(TRANSFORMATION);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JVM", e);
        }
    }

    /**
     * A key of this process alone is safe only where no other process opens what it seals: the zero-install mode
     * (one process, one data dir), a process that neither seals nor opens, or a user who said so.
     */
    private static boolean generatedKeyAllowed(EventflowProperties properties) {
        return properties.embedded() || properties.cipher().allowGeneratedKey()
                || !(properties.roles().contains(Role.SERVICE1) || properties.roles().contains(Role.SERVICE2));
    }

    /**
     * The {@value #DEFAULT_KEY_ID} key (eventflow.cipher.key, else the key file if it exists, else one generated into it
     * when no other key is given either) and those of eventflow.cipher.keys.
     */
    private static Map<String, byte[]> loadKeys(EventflowProperties properties) {
        EventflowProperties.Cipher settings = properties.cipher();
        Map<String, byte[]> keys = new TreeMap<>();
        settings.keys().forEach((id, key) -> keys.put(id, decode("eventflow.cipher.keys." + id, key)));
        byte[] defaultKey = null;
        if (!settings.key().isBlank()) {
            defaultKey = decode("eventflow.cipher.key", settings.key());
        } else if (keys.isEmpty() || (Files.exists(properties.cipherKeyFile()) && generatedKeyAllowed(properties))) {
            defaultKey = loadKey(properties.cipherKeyFile(), generatedKeyAllowed(properties));
        }
        if (defaultKey != null) {
            byte[] named = keys.get(DEFAULT_KEY_ID);
            if (named != null && !Arrays.equals(named, defaultKey)) {
                throw new StartRefusedException("two different keys have the id " + DEFAULT_KEY_ID
                        + ": eventflow.cipher.keys.default and eventflow.cipher.key (or its key file)",
                        "Keep one of them; eventflow.cipher.key is the key of id default.");
            }
            keys.put(DEFAULT_KEY_ID, defaultKey);
        }
        return keys;
    }

    private static byte[] decode(String setting, String base64) {
        try {
            return Base64.getDecoder().decode(base64.trim());
        } catch (IllegalArgumentException e) {
            throw new StartRefusedException(setting + " is not base64", "Give it as base64 of 32 random bytes: head -c 32 /dev/urandom | base64");
        }
    }

    private static byte[] loadKey(Path file, boolean generatedKeyAllowed) {
        if (!generatedKeyAllowed) {
            throw new StartRefusedException("no cipher key (eventflow.cipher.key, env EVENTFLOW_CIPHER_KEY, or eventflow.cipher.keys.<id>) outside the "
                    + "zero-install mode; a key generated by this process would make every other Eventflow process "
                    + "dead-letter the topic3 messages this one sealed",
                    "Give every process of this deployment the same key: EVENTFLOW_CIPHER_KEY=$(head -c 32 /dev/urandom | base64). "
                    + "For a single process that may keep a key of its own in " + file.toAbsolutePath()
                    + ", set eventflow.cipher.allow-generated-key=true.");
        }
        try {
            if (Files.exists(file)) {
                return Base64.getDecoder().decode(Files.readString(file).trim());
            }
            byte[] generated = new byte[KEY_BYTES];
            new SecureRandom().nextBytes(generated);
            Files.createDirectories(file.toAbsolutePath().getParent());
            try {
                // Owner-only from its creation: no moment when the key is in a file others may read.
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException notPosix) {
                Files.createFile(file);
                LOG.debug("{} keeps the file system's default permissions", file);
            }
            Files.writeString(file, Base64.getEncoder().encodeToString(generated), StandardOpenOption.TRUNCATE_EXISTING);
            LOG.warn("No eventflow.cipher.key set: generated one in {}. Processes on other hosts need the same key.", file.toAbsolutePath());
            return generated;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the cipher key file " + file.toAbsolutePath(), e);
        }
    }
}
