package io.eventflow.processing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;

import io.eventflow.config.EventflowProperties;
import io.eventflow.config.StartRefusedException;
import io.eventflow.config.StartRefusedFailureAnalyzer;
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
    void refusesToStartWithoutAKeyOutsideTheZeroInstallMode(@TempDir Path dir) {
        EventflowProperties properties = properties(Map.of("eventflow.embedded", "false",
                "eventflow.cipher.key-file", dir.resolve("cipher.key").toString()));

        assertThatThrownBy(() -> new SecretCipher(properties))
                .isInstanceOf(StartRefusedException.class)
                .satisfies(refusal -> assertThat(new StartRefusedFailureAnalyzer().analyze(refusal).getDescription())
                        .contains("no cipher key").contains("EVENTFLOW_CIPHER_KEY"))
                .satisfies(refusal -> assertThat(((StartRefusedException) refusal).action())
                        .contains("eventflow.cipher.allow-generated-key=true"));
        assertThat(dir.resolve("cipher.key")).doesNotExist();
    }

    @Test
    void generatesAKeyOutsideTheZeroInstallModeOnlyWhenAllowed(@TempDir Path dir) {
        EventflowProperties properties = properties(Map.of("eventflow.embedded", "false",
                "eventflow.cipher.allow-generated-key", "true", "eventflow.cipher.key-file", dir.resolve("cipher.key").toString()));

        assertThat(new SecretCipher(properties).decrypt(new SecretCipher(properties).encrypt("glacier"))).isEqualTo("glacier");
    }

    @Test
    void aProcessThatNeitherSealsNorOpensNeedsNoKey(@TempDir Path dir) {
        EventflowProperties properties = properties(Map.of("eventflow.embedded", "false", "eventflow.roles", "ingest,dashboard",
                "eventflow.cipher.key-file", dir.resolve("cipher.key").toString()));

        assertThat(new SecretCipher(properties).encrypt("glacier")).isNotEmpty();
    }

    @Test
    void theKeyNeverAppearsInTheSettingsToString() {
        String key = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0=";
        EventflowProperties properties = properties(Map.of("eventflow.cipher.key", key));

        assertThat(properties.toString()).contains("cipher=").doesNotContain(key);
        assertThat(properties.cipher().toString()).doesNotContain(key);
    }

    private static EventflowProperties properties(Map<String, String> settings) {
        return new Binder(new MapConfigurationPropertySource(settings)).bindOrCreate("eventflow", EventflowProperties.class);
    }

    @Test
    void refusesAKeyOfTheWrongSize() {
        assertThatThrownBy(() -> new SecretCipher(new byte[16])).isInstanceOf(IllegalArgumentException.class);
    }
}
