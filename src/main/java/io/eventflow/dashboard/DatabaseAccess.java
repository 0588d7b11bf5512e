package io.eventflow.dashboard;

import java.util.function.Supplier;

import io.eventflow.api.ProblemException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;

/** Runs a dashboard query, turning an unreachable database into a 503 problem the page can show. */
final class DatabaseAccess {

    private DatabaseAccess() {
    }

    static <T> T query(Supplier<T> query) {
        try {
            return query.get();
        } catch (DataAccessResourceFailureException | TransientDataAccessException e) {
            throw new ProblemException(503, "Database unavailable", "the event store could not be reached; try again shortly");
        }
    }
}
