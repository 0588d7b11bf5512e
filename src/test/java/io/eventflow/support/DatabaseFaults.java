package io.eventflow.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;

import org.springframework.boot.autoconfigure.jdbc.DataSourceProperties;

/**
 * Faults of the application's own database, never of the whole server (other databases on it stay untouched):
 * made read-only, or refusing every connection, by an admin connection of its own to the server's maintenance
 * database. Each change also ends the database's open sessions, so the pool has to reconnect and meets it.
 */
public final class DatabaseFaults {

    private final String database;
    private final String maintenanceUrl;
    private final String username;
    private final String password;

    public DatabaseFaults(DataSourceProperties dataSource) {
        String url = dataSource.determineUrl();
        String path = url.contains("?") ? url.substring(0, url.indexOf('?')) : url;
        this.database = path.substring(path.lastIndexOf('/') + 1);
        this.maintenanceUrl = path.substring(0, path.lastIndexOf('/') + 1) + "postgres";
        this.username = dataSource.determineUsername();
        this.password = dataSource.determinePassword();
    }

    /** New sessions of the database can read but not write, as on a replica after a failover. */
    public void readOnly(boolean readOnly) {
        run(readOnly ? "ALTER DATABASE \"" + database + "\" SET default_transaction_read_only = on"
                : "ALTER DATABASE \"" + database + "\" RESET default_transaction_read_only");
    }

    /** The database refuses every new connection, as if its server were unreachable. */
    public void refuseConnections(boolean refuse) {
        run("ALTER DATABASE \"" + database + "\" ALLOW_CONNECTIONS " + !refuse);
    }

    private void run(String alter) {
        try (Connection admin = DriverManager.getConnection(maintenanceUrl, username, password);
             Statement statement = admin.createStatement();
             PreparedStatement terminate = admin.prepareStatement(
                     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()")) {
            statement.execute(alter);
            terminate.setString(1, database);
            terminate.execute();
        } catch (SQLException e) {
            throw new IllegalStateException(alter + " failed on " + maintenanceUrl, e);
        }
    }
}
