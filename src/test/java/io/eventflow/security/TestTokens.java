package io.eventflow.security;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Date;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/** An issuer of the tests' own: an RSA key pair generated per run, its JWK set, and JWTs signed with it. */
final class TestTokens {

    static final String ISSUER = "https://issuer.eventflow.test";
    private static final String KEY_ID = "test-key";

    private final KeyPair keys;

    TestTokens() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            keys = generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    RSAPublicKey publicKey() {
        return (RSAPublicKey) keys.getPublic();
    }

    /** The JWK set document an authorization server publishes. */
    String jwkSet() {
        return new JWKSet(new RSAKey.Builder(publicKey()).keyID(KEY_ID).build()).toString();
    }

    String token(String scope) {
        return token(ISSUER, scope, Instant.now().plusSeconds(300));
    }

    String token(String issuer, String scope, Instant expiresAt) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).subject("test-client").claim("scope", scope)
                .issueTime(Date.from(expiresAt.minusSeconds(600))).expirationTime(Date.from(expiresAt)).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(KEY_ID).build(), claims);
        try {
            jwt.sign(new RSASSASigner((RSAPrivateKey) keys.getPrivate()));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }
}
