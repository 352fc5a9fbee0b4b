package io.zkasg.local.hooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.testkit.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class VirtualSchedulerTest {

    private static final Instant T0 = Instant.parse("2026-11-30T00:00:00Z");

    private final FakeClock clock = new FakeClock(T0);
    private final VirtualScheduler scheduler = new VirtualScheduler(clock);
    private final List<String> steps = Collections.synchronizedList(new ArrayList<>());

    private void step(String name) {
        steps.add(Duration.between(T0, clock.instant()).toMillis() + " " + name + " " + scheduler.owner());
    }

    @Test
    void run_shouldInterleaveParticipantsAndTasksInVirtualTimeOrder() {
        // GIVEN two participants that wait different times, and a task in between
        scheduler.spawn(T0, "a", "a", () -> {
            step("a1");
            scheduler.sleep(Duration.ofSeconds(10));
            step("a2");
        });
        scheduler.spawn(T0.plusSeconds(1), "b", "b", () -> {
            step("b1");
            scheduler.sleep(Duration.ofSeconds(2));
            step("b2");
            scheduler.sleep(Duration.ofSeconds(60));
            step("b3");
        });
        scheduler.at(T0.plusSeconds(5), () -> step("task"));

        // WHEN
        boolean drained = scheduler.run(T0.plus(Duration.ofHours(1)));

        // THEN each step ran at its virtual time, in time order, for its owner; no wall time was waited
        assertThat(drained).isTrue();
        assertThat(steps).containsExactly("0 a1 a", "1000 b1 b", "3000 b2 b", "5000 task null", "10000 a2 a",
                "63000 b3 b");
        assertThat(scheduler.failures()).isEmpty();
    }

    @Test
    void run_shouldStopBeforeAnEntryPastTheLimit_andReportWhatAParticipantThrew() {
        // GIVEN a participant that fails, and a task after the limit
        scheduler.spawn(T0, "a", "a", () -> {
            throw new IllegalStateException("boom");
        });
        scheduler.at(T0.plus(Duration.ofHours(2)), () -> step("late"));

        // WHEN
        boolean drained = scheduler.run(T0.plus(Duration.ofHours(1)));

        // THEN
        assertThat(drained).isFalse();
        assertThat(steps).isEmpty();
        assertThat(scheduler.failures()).singleElement().satisfies(e -> assertThat(e).hasMessage("boom"));
    }
}
