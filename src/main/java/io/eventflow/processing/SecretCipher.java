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
import java.util.Base64;

import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import io.eventflow.config.EventflowProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * AES-256-GCM for the secret word: a random 12-byte IV per message, sent as base64 of IV followed by the
 * ciphertext and its 16-byte tag. A wrong key or a changed byte fails the tag check and the message is poison.
 */
@Component
public class SecretCipher {

    private static final Logger LOG = LoggerFactory.getLogger(SecretCipher.class);
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final int KEY_BYTES = 32;

    private final SecureRandom random = new SecureRandom();
    private final SecretKey key;
    // Looking the transformation up costs more than the cipher itself; a Cipher is not thread-safe.
    private final ThreadLocal<Cipher> ciphers = ThreadLocal.withInitial(SecretCipher::newCipher);

    @Autowired
    public SecretCipher(EventflowProperties properties) {
        this(loadKey(properties.cipher().key(), properties.cipherKeyFile()));
    }

    SecretCipher(byte[] key) {
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException("eventflow.cipher.key must be " + KEY_BYTES + " bytes (base64), got " + key.length);
        }
        this.key = new SecretKeySpec(key, "AES");
    }

    public String encrypt(String plaintext) {
        byte[] iv = new byte[IV_BYTES];
        random.nextBytes(iv);
        try {
            Cipher cipher = ciphers.get();
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(ByteBuffer.allocate(IV_BYTES + sealed.length).put(iv).put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JVM", e);
        }
    }

    public String decrypt(String secretValue) {
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

    private static byte[] loadKey(String configuredKey, Path file) {
        if (!configuredKey.isBlank()) {
            return Base64.getDecoder().decode(configuredKey.trim());
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
