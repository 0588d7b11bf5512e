package io.eventflow.dashboard;

import java.sql.SQLException;
import java.util.function.Supplier;

import io.eventflow.api.ProblemException;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;

/**
 * Runs a dashboard query, turning an unreachable database, or a query cancelled by the dashboard pool's statement
 * timeout, into a 503 problem the page can show.
 */
final class DatabaseAccess {

    // PostgreSQL's query_canceled: statement_timeout (eventflow.dashboard.query-timeout) was hit.
    private static final String QUERY_CANCELED = "57014";
    private static final int RETRY_AFTER_SECONDS = 5;

    private DatabaseAccess() {
    }

    static <T> T query(Supplier<T> query) {
        try {
            return query.get();
        } catch (DataAccessException e) {
            if (cancelled(e)) {
                throw ProblemException.unavailable("Query took too long", "the event store did not answer within "
                        + "eventflow.dashboard.query-timeout and the query was cancelled; try again shortly", RETRY_AFTER_SECONDS);
            }
            if (e instanceof DataAccessResourceFailureException || e instanceof TransientDataAccessException) {
                throw new ProblemException(503, "Database unavailable", "the event store could not be reached; try again shortly");
            }
            throw e;
        }
    }

    private static boolean cancelled(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && QUERY_CANCELED.equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }
}
