package io.eventflow.processing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;

import io.eventflow.config.EventflowProperties;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecretCipherTest {

    private final SecretCipher cipher = new SecretCipher(key(1));

    static byte[] key(int seed) {
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, (byte) seed);
        return key;
    }

    @Test
    void decryptsWhatItEncrypted() {
        assertThat(cipher.decrypt(cipher.encrypt("glacier"))).isEqualTo("glacier");
    }

    @Test
    void aFreshIvMakesEachCiphertextDifferent() {
        assertThat(cipher.encrypt("glacier")).isNotEqualTo(cipher.encrypt("glacier"));
    }

    @Test
    void aTamperedCiphertextIsPoison() {
        byte[] sealed = Base64.getDecoder().decode(cipher.encrypt("glacier"));
        sealed[sealed.length - 1] ^= 1;

        assertThatThrownBy(() -> cipher.decrypt(Base64.getEncoder().encodeToString(sealed)))
                .isInstanceOf(PoisonMessageException.class).hasMessageContaining("tampered");
    }

    @Test
    void anotherKeyIsPoison() {
        String sealed = new SecretCipher(key(2)).encrypt("glacier");

        assertThatThrownBy(() -> cipher.decrypt(sealed)).isInstanceOf(PoisonMessageException.class);
    }

    @Test
    void garbageIsPoison() {
        assertThatThrownBy(() -> cipher.decrypt("not base64 !")).isInstanceOf(PoisonMessageException.class);
        assertThatThrownBy(() -> cipher.decrypt("c2hvcnQ=")).isInstanceOf(PoisonMessageException.class);
    }

    @Test
    void aGeneratedKeyIsKeptOwnerOnlyAndReadBackByTheNextProcess(@TempDir Path dir) throws Exception {
        Path keyFile = dir.resolve("keys").resolve("cipher.key");
        EventflowProperties properties = new Binder(new MapConfigurationPropertySource(
                Map.of("eventflow.cipher.key-file", keyFile.toString()))).bindOrCreate("eventflow", EventflowProperties.class);

        String sealed = new SecretCipher(properties).encrypt("glacier");

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        assertThat(new SecretCipher(properties).decrypt(sealed)).isEqualTo("glacier");
    }

    @Test
    void refusesAKeyOfTheWrongSize() {
        assertThatThrownBy(() -> new SecretCipher(new byte[16])).isInstanceOf(IllegalArgumentException.class);
    }
}
