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
        assertThatThrownBy(() -> new SecretCipher(new byte[16])).isInstanceOf(StartRefusedException.class)
                .hasMessageContaining("16 bytes");
    }

    private static final String OLD = Base64.getEncoder().encodeToString(key(1));
    private static final String NEW = Base64.getEncoder().encodeToString(key(2));

    @Test
    void theKeyOfEventflowCipherKeySealsWithTheIdDefault() {
        SecretCipher only = new SecretCipher(properties(Map.of("eventflow.cipher.key", OLD)));

        assertThat(only.sealingKeyId()).isEqualTo("default");
        assertThat(only.decrypt("default", only.encrypt("glacier"))).isEqualTo("glacier");
    }

    @Test
    void aValueWithoutKeyIdOpensWithTheDefaultKeyAfterANewKeySeals() {
        // Sealed by an Eventflow before key ids: its message carries no secretKeyId.
        String legacy = new SecretCipher(key(1)).encrypt("glacier");
        SecretCipher rotated = new SecretCipher(properties(Map.of("eventflow.cipher.key", OLD,
                "eventflow.cipher.keys.2026-12", NEW, "eventflow.cipher.sealing-key-id", "2026-12")));

        assertThat(rotated.decrypt(null, legacy)).isEqualTo("glacier");
    }

    @Test
    void everyStepOfARotationOpensWhatTheStepBeforeSealed() {
        SecretCipher before = new SecretCipher(properties(Map.of("eventflow.cipher.key", OLD)));
        SecretCipher added = new SecretCipher(properties(Map.of("eventflow.cipher.key", OLD, "eventflow.cipher.keys.k2", NEW)));
        SecretCipher switched = new SecretCipher(properties(Map.of("eventflow.cipher.key", OLD, "eventflow.cipher.keys.k2", NEW,
                "eventflow.cipher.sealing-key-id", "k2")));
        SecretCipher removed = new SecretCipher(properties(Map.of("eventflow.cipher.keys.k2", NEW)));

        assertThat(added.sealingKeyId()).as("adding a key does not seal with it yet").isEqualTo("default");
        // Step 2 runs beside processes still at step 1, and the reverse: each opens what the other sealed.
        assertThat(added.decrypt(switched.sealingKeyId(), switched.encrypt("fig"))).isEqualTo("fig");
        assertThat(switched.decrypt(added.sealingKeyId(), added.encrypt("fig"))).isEqualTo("fig");
        assertThat(added.decrypt(before.sealingKeyId(), before.encrypt("fig"))).isEqualTo("fig");
        assertThat(removed.sealingKeyId()).isEqualTo("k2");
        assertThat(removed.decrypt("k2", switched.encrypt("fig"))).isEqualTo("fig");
    }

    @Test
    void aValueSealedWithAKeyNoLongerConfiguredIsPoisonNamingTheKeyId() {
        String sealed = new SecretCipher(properties(Map.of("eventflow.cipher.keys.k1", OLD))).encrypt("glacier");
        SecretCipher removed = new SecretCipher(properties(Map.of("eventflow.cipher.keys.k2", NEW)));

        assertThatThrownBy(() -> removed.decrypt("k1", sealed)).isInstanceOf(PoisonMessageException.class)
                .hasMessage("secretValue is sealed with cipher key 'k1', which this process does not have (it has [k2])");
        assertThatThrownBy(() -> removed.decrypt(null, sealed)).isInstanceOf(PoisonMessageException.class)
                .hasMessageContaining("cipher key 'default'");
    }

    @Test
    void aSealingKeyIdWithoutItsKeyRefusesTheStart() {
        assertThatThrownBy(() -> new SecretCipher(properties(Map.of("eventflow.cipher.key", OLD, "eventflow.cipher.sealing-key-id", "k2"))))
                .isInstanceOf(StartRefusedException.class).hasMessageContaining("'k2'")
                .satisfies(refusal -> assertThat(((StartRefusedException) refusal).action()).contains("eventflow.cipher.keys.k2"));
    }

    @Test
    void severalKeysWithoutDefaultOrSealingKeyIdRefuseTheStart() {
        assertThatThrownBy(() -> new SecretCipher(properties(Map.of("eventflow.cipher.keys.k1", OLD, "eventflow.cipher.keys.k2", NEW))))
                .isInstanceOf(StartRefusedException.class)
                .satisfies(refusal -> assertThat(((StartRefusedException) refusal).action()).contains("eventflow.cipher.sealing-key-id"));
    }

    @Test
    void aKeyIdThatIsNotOneRefusesTheStart() {
        assertThatThrownBy(() -> new SecretCipher(Map.of("K 1", key(1)), null)).isInstanceOf(StartRefusedException.class)
                .hasMessageContaining("'K 1'");
    }

    @Test
    void twoDifferentDefaultKeysRefuseTheStart() {
        assertThatThrownBy(() -> new SecretCipher(properties(Map.of("eventflow.cipher.key", OLD, "eventflow.cipher.keys.default", NEW))))
                .isInstanceOf(StartRefusedException.class).hasMessageContaining("default");
    }

    @Test
    void explicitKeysOutsideTheZeroInstallModeNeedNoGeneratedKey(@TempDir Path dir) {
        EventflowProperties properties = properties(Map.of("eventflow.embedded", "false", "eventflow.cipher.keys.k2", NEW,
                "eventflow.cipher.key-file", dir.resolve("cipher.key").toString()));

        assertThat(new SecretCipher(properties).keyIds()).containsExactly("k2");
        assertThat(dir.resolve("cipher.key")).doesNotExist();
    }

    @Test
    void aGeneratedKeyStaysTheDefaultKeyWhenANewKeyIsAdded(@TempDir Path dir) {
        Map<String, String> zeroInstall = Map.of("eventflow.cipher.key-file", dir.resolve("cipher.key").toString());
        String sealed = new SecretCipher(properties(zeroInstall)).encrypt("glacier");
        Map<String, String> rotated = new java.util.HashMap<>(zeroInstall);
        rotated.put("eventflow.cipher.keys.k2", NEW);
        rotated.put("eventflow.cipher.sealing-key-id", "k2");

        SecretCipher cipher = new SecretCipher(properties(rotated));

        assertThat(cipher.keyIds()).containsExactly("default", "k2");
        assertThat(cipher.decrypt(null, sealed)).isEqualTo("glacier");
    }

    @Test
    void keysComeFromFilesNamedForTheirSetting(@TempDir Path dir) throws Exception {
        // As EVENTFLOW_SECRETS_DIR holds them (application.yml imports it as a configtree), one file per key.
        Files.writeString(dir.resolve("eventflow.cipher.keys.2026-12"), NEW + "\n");
        Files.writeString(dir.resolve("eventflow.cipher.sealing-key-id"), "2026-12\n");
        Files.writeString(dir.resolve("eventflow.cipher.key"), OLD + "\n");
        org.springframework.core.env.PropertySource<?> files = new org.springframework.boot.env.ConfigTreePropertySource("secrets", dir,
                org.springframework.boot.env.ConfigTreePropertySource.Option.AUTO_TRIM_TRAILING_NEW_LINE);
        EventflowProperties properties = new Binder(org.springframework.boot.context.properties.source.ConfigurationPropertySources
                .from(files)).bindOrCreate("eventflow", EventflowProperties.class);

        SecretCipher cipher = new SecretCipher(properties);

        assertThat(cipher.keyIds()).containsExactly("2026-12", "default");
        assertThat(cipher.sealingKeyId()).isEqualTo("2026-12");
        assertThat(new SecretCipher(key(2)).decrypt(cipher.encrypt("glacier"))).isEqualTo("glacier");
    }
}
