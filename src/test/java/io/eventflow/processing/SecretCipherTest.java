package io.eventflow.processing;

import java.util.Base64;

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
    void refusesAKeyOfTheWrongSize() {
        assertThatThrownBy(() -> new SecretCipher(new byte[16])).isInstanceOf(IllegalArgumentException.class);
    }
}
