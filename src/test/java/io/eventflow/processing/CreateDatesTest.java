package io.eventflow.processing;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CreateDatesTest {

    // How the ingest writes create_date (EventRequestParser): always three digits of milliseconds.
    private static final DateTimeFormatter INGEST = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final CreateDates dates = new CreateDates();

    @Test
    void readsTheIngestsDatesAsInstantDoesWithinASecondAndAcrossSeconds() {
        Random random = new Random(42);
        long at = Instant.parse("2026-12-06T06:00:00Z").toEpochMilli();
        for (int i = 0; i < 20_000; i++) {
            // Mostly the same second, now and then a jump (forward or back, as batches of other instances interleave).
            at += random.nextInt(10) == 0 ? random.nextLong(-86_400_000L, 86_400_000L) : random.nextInt(7);
            String date = INGEST.format(Instant.ofEpochMilli(at));
            assertThat(dates.epochMillis(date)).as(date).isEqualTo(Instant.parse(date).toEpochMilli()).isEqualTo(at);
        }
    }

    @Test
    void otherFormsAreReadAsInstantReadsThem() {
        for (String date : new String[] {"2026-12-06T06:00:00Z", "2026-12-06T06:00:00.1Z", "2026-12-06T06:00:00.123456Z",
                "2026-12-06T08:00:00.123+02:00"}) {
            dates.epochMillis("2026-12-06T06:00:00.999Z");
            assertThat(dates.epochMillis(date)).as(date).isEqualTo(Instant.parse(date).toEpochMilli());
        }
    }

    @Test
    void aDateInstantCannotReadIsRefusedAsInstantRefusesIt() {
        dates.epochMillis("2026-12-06T06:00:00.000Z");
        for (String date : new String[] {"2026-12-06T06:00:00.1x3Z", "2026-12-06T25:00:00.123Z", "2026-13-06T06:00:00.123Z",
                "yesterday, about noon", ""}) {
            assertThatThrownBy(() -> dates.epochMillis(date)).as(date).isInstanceOf(DateTimeParseException.class);
        }
    }
}
