package io.eventflow.processing;

import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import io.eventflow.infra.PublishNotConfirmedException;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;
import org.springframework.amqp.AmqpConnectException;
import org.springframework.amqp.AmqpIOException;
import org.springframework.amqp.AmqpTimeoutException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.RecoverableDataAccessException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.stereotype.Component;

/**
 * Tells a fault that passes (the database or the broker unreachable, unavailable, read-only or being restored) from
 * one the message itself causes (poison), by cause rather than by exception class: the first SQLSTATE on the cause
 * chain decides, and a {@link PoisonMessageException} anywhere on it is poison. Without a SQLSTATE, a fault the JDBC
 * driver, Spring or the broker client calls transient or recoverable is transient; anything else is poison.
 */
@Component("transientFault")
public class TransientFault implements Predicate {

    /** SQLSTATE classes of a database that is unreachable or cannot take writes now, whatever the rows. */
    private static final Set<String> TRANSIENT_CLASSES = Set.of(
            "08", // connection exception
            "25", // invalid transaction state: 25006 read-only transaction (a replica after failover)
            "28", // invalid authorization: credentials being rotated
            "3D", // database does not exist (yet): a restore
            "3F", // schema does not exist (yet)
            "40", // transaction rollback: serialization failure, deadlock
            "53", // insufficient resources: disk full, out of memory, too many connections
            "55", // object not in prerequisite state: lock not available, database not accepting connections
            "57", // operator intervention: admin or crash shutdown, cannot connect now, query canceled
            "58"); // system error: I/O error

    /** Single SQLSTATEs of otherwise poison classes that mean the schema is away, not that the message is bad. */
    private static final Set<String> TRANSIENT_STATES = Set.of(
            "42P01", // undefined table: a restore or migration in progress, a table renamed
            "42703", // undefined column: the same, half way
            "42P10", // ON CONFLICT without its unique index: a restore between its data and its indexes
            "42501"); // insufficient privilege: grants being restored

    private static final List<Class<? extends Throwable>> TRANSIENT_TYPES = List.of(
            TransientDataAccessException.class,
            DataAccessResourceFailureException.class,
            RecoverableDataAccessException.class,
            SQLTransientException.class,
            SQLRecoverableException.class,
            AmqpConnectException.class,
            AmqpIOException.class,
            // No free channel within the cache's checkout timeout: the broker connection is saturated, not the message bad.
            AmqpTimeoutException.class,
            PublishNotConfirmedException.class,
            TimeoutException.class);

    @Override
    public boolean matches(Exchange exchange) {
        Throwable failure = exchange.getException();
        return isTransient(failure != null ? failure : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class));
    }

    static boolean isTransient(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        boolean transientType = false;
        for (Throwable cause = failure; cause != null && seen.add(cause); cause = cause.getCause()) {
            if (cause instanceof PoisonMessageException) {
                return false;
            }
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                return isTransientSqlState(sql.getSQLState());
            }
            transientType |= isTransientType(cause);
        }
        return transientType;
    }

    private static boolean isTransientType(Throwable cause) {
        return TRANSIENT_TYPES.stream().anyMatch(type -> type.isInstance(cause));
    }

    static boolean isTransientSqlState(String state) {
        return state.length() == 5 && (TRANSIENT_CLASSES.contains(state.substring(0, 2)) || TRANSIENT_STATES.contains(state));
    }
}
