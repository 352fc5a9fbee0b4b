package io.zkasg.local.hooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.testkit.stub.AwsStubServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's model, on a few launches: the real handlers over the real SDK on the virtual clock complete every
 * hook, and what the SDK's retries and backoff cost lands in virtual time. Figures are the bench's business
 * ({@code make bench-hooks}); this checks that they mean what they say.
 */
class HookOverheadBenchTest {

    private static HookOverheadBench.Result run(int launches, double refused) {
        var options = new HookOverheadBench.Options(List.of(launches), List.of(refused), 3, 50, 150, 0);
        try (var stub = AwsStubServer.start()) {
            return HookOverheadBench.run(stub, options, launches, refused);
        }
    }

    @Test
    void run_shouldCompleteEveryHookOneRoundTripAfterTheCommand_whenNothingIsThrottled() {
        // GIVEN / WHEN three launches at once under the token buckets alone
        var result = run(3, 0);

        // THEN each hook was completed with CONTINUE by the status function's one call (one modelled round trip)
        assertThat(result.failures()).isEmpty();
        assertThat(result.timedOut()).isZero();
        assertThat(result.hooks()).hasSize(3).allSatisfy(h -> {
            assertThat(h.result).isEqualTo("CONTINUE");
            assertThat(Duration.between(h.commandEnd, h.completed)).isBetween(Duration.ofMillis(50),
                    Duration.ofMillis(150));
            assertThat(h.tally.throttledAttempts).isZero();
        });
    }

    @Test
    void run_shouldChargeTheSdksBackoffToVirtualTime_whenCallsAreRefused() {
        // GIVEN / WHEN three launches with 30 % of the calls refused
        var result = run(3, 0.3);

        // THEN every hook still completed by a function; the refused attempts were retried by the SDK, whose
        // backoff was charged to the hooks' virtual time
        assertThat(result.timedOut()).isZero();
        assertThat(result.hooks()).allSatisfy(h -> assertThat(h.result).isEqualTo("CONTINUE"));
        var throttled = result.hooks().stream().mapToInt(h -> h.tally.throttledAttempts).sum();
        var retries = result.hooks().stream().mapToInt(h -> h.tally.retries()).sum();
        var backoff = result.hooks().stream().map(h -> h.tally.backoff).reduce(Duration.ZERO, Duration::plus);
        assertThat(throttled).isPositive();
        assertThat(retries).isPositive().isLessThanOrEqualTo(throttled);
        assertThat(backoff).isPositive();
        assertThat(result.buckets().values().stream().mapToLong(t -> t.refusedAtRandom()).sum())
                .isEqualTo(throttled);
    }
}
