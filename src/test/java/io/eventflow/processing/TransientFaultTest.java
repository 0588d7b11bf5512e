package io.eventflow.processing;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.TimeoutException;

import io.eventflow.infra.PublishNotConfirmedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.BadSqlGrammarException;
import org.springframework.jdbc.UncategorizedSQLException;

import static org.assertj.core.api.Assertions.assertThat;

/** Which failures of a store route are retried for as long as they last, and which are poison. */
class TransientFaultTest {

    @ParameterizedTest
    @ValueSource(strings = {"08001", "08006", "25006", "28P01", "3D000", "40001", "40P01", "53100", "53300", "55000",
            "55P03", "57P01", "57P03", "57014", "58030", "42P01", "42703", "42P10", "42501"})
    void databaseThatIsAwayUnavailableOrReadOnlyIsTransient(String sqlState) {
        assertThat(TransientFault.isTransient(asSpringThrowsIt(sqlState))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"22P02", "22P05", "22007", "22001", "23505", "23502", "23514", "42601", "42804", "XX000"})
    void valueThePostgresRefusesIsPoison(String sqlState) {
        assertThat(TransientFault.isTransient(asSpringThrowsIt(sqlState))).isFalse();
    }

    @Test
    void sqlStateDecidesOverTheClassSpringGaveIt() {
        // Spring calls a read-only transaction a grammar error and a unique violation an integrity one: the state wins.
        assertThat(TransientFault.isTransient(new BadSqlGrammarException("insert", "INSERT", psql("25006")))).isTrue();
        assertThat(TransientFault.isTransient(new DataIntegrityViolationException("insert", psql("23505")))).isFalse();
    }

    @Test
    void poolThatCannotConnectIsTransientWithOrWithoutAState() {
        assertThat(TransientFault.isTransient(new SQLTransientConnectionException("Connection is not available"))).isTrue();
        assertThat(TransientFault.isTransient(new SQLTransientConnectionException("not accepting connections", "55000",
                psql("55000")))).isTrue();
    }

    @Test
    void messageFaultsArePoisonEvenWhenTheyWrapADatabaseError() {
        assertThat(TransientFault.isTransient(new PoisonMessageException("not JSON"))).isFalse();
        assertThat(TransientFault.isTransient(new PoisonMessageException("wrong key", psql("08006")))).isFalse();
        assertThat(TransientFault.isTransient(new IllegalArgumentException("field eventId is not a UUID"))).isFalse();
        assertThat(TransientFault.isTransient(null)).isFalse();
    }

    @Test
    void brokerThatDoesNotConfirmIsTransient() {
        assertThat(TransientFault.isTransient(new PublishNotConfirmedException("the broker confirmed 0 of 3"))).isTrue();
        assertThat(TransientFault.isTransient(new org.springframework.amqp.AmqpTimeoutException("No available channels"))).isTrue();
        assertThat(TransientFault.isTransient(new IllegalStateException("wrapped",
                new TimeoutException()))).isTrue();
    }

    @Test
    void stateOnAPlainSqlExceptionCountsToo() {
        assertThat(TransientFault.isTransient(new UncategorizedSQLException("insert", "INSERT",
                new SQLException("read-only", "25006")))).isTrue();
    }

    /** How camel-sql (Spring's JdbcTemplate) hands a PostgreSQL error to the route: translated, the driver's cause inside. */
    private static Exception asSpringThrowsIt(String sqlState) {
        return new UncategorizedSQLException("insert", "INSERT INTO topic1 ...", psql(sqlState));
    }

    /** The driver's exception for an error message from the server carrying that SQLSTATE. */
    private static PSQLException psql(String sqlState) {
        return new PSQLException(new ServerErrorMessage("SERROR\0C" + sqlState + "\0Mfailed with " + sqlState + "\0"));
    }
}
