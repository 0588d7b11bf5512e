package io.eventflow.infra;

import java.util.Arrays;

import io.eventflow.config.StartRefusedException;
import org.flywaydb.core.Flyway;
import org.springframework.boot.autoconfigure.flyway.FlywayMigrationStrategy;
import org.springframework.stereotype.Component;

/** Migrates the schema at start, and refuses to start when no migration is found: Flyway alone would carry on. */
@Component
class SchemaMigrations implements FlywayMigrationStrategy {

    @Override
    public void migrate(Flyway flyway) {
        boolean found = Arrays.stream(flyway.info().all()).anyMatch(migration -> migration.getState().isResolved());
        if (!found) {
            throw new StartRefusedException("no database migration (V<n>__<name>.sql) was found in "
                    + String.join(", ", Arrays.stream(flyway.getConfiguration().getLocations()).map(Object::toString).toList()),
                    "Put the migrations in that folder, point eventflow.migrations-dir at a folder that has them, or remove "
                            + "the folder to apply the migrations packaged in the jar.");
        }
        flyway.migrate();
    }
}
