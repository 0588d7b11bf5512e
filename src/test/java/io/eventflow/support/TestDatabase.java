package io.eventflow.support;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** A database a test reads its rows from. */
public interface TestDatabase {

    Connection connect() throws SQLException;

    /** {@code SELECT count(*) FROM} a table (with a WHERE clause if it ends with one). */
    default long count(String table) throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT count(*) FROM " + table)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
