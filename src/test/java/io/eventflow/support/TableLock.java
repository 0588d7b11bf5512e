package io.eventflow.support;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A lock on a table held in a transaction of its own, as an operator's ALTER or a long migration would hold one: the
 * consumers' inserts into it wait until it is released. Released by {@link #release} or close; when the server crashed
 * under it, releasing only drops the connection (the lock went with the server).
 */
public final class TableLock implements AutoCloseable {

    private final Connection connection;

    private TableLock(Connection connection) {
        this.connection = connection;
    }

    /** {@code LOCK TABLE table IN mode MODE} on {@code connection}, which the lock owns and closes. */
    public static TableLock hold(Connection connection, String table, String mode) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("LOCK TABLE " + table + " IN " + mode + " MODE");
            return new TableLock(connection);
        } catch (SQLException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /** Ends the transaction and with it the lock; does nothing the second time. */
    public void release() {
        try (connection) {
            if (!connection.isClosed()) {
                connection.rollback();
            }
        } catch (SQLException crashed) {
            // The server is gone, and the lock with it.
        }
    }

    @Override
    public void close() {
        release();
    }
}
