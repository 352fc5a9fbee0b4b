package io.zkasg.lambda;

import io.zkasg.core.HookOutcome;
import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.port.Metrics;
import io.zkasg.core.port.Metrics.Metric;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Per-invocation metrics of the hook functions: how long the action took, how many AWS calls it made and how many of
 * them were throttled past the SDK's retries (dimension Action), and each lifecycle hook it completed with CONTINUE or
 * ABANDON (HookContinued / HookAbandoned, per cluster: the ABANDON alarm watches the latter), and each command status
 * a re-driven wait read from SSM because its event was lost (CommandStatusRecovered, per cluster).
 */
final class Telemetry {

    private final CallCounter counter;
    private final Metrics metrics;
    private volatile Runnable resetRetries = () -> { };
    private volatile LongSupplier retries;

    Telemetry(CallCounter counter, Metrics metrics) {
        this.counter = counter;
        this.metrics = metrics;
    }

    /** Counts the SDK's own retries too (production: an interceptor on the clients), as SdkRetries. */
    void countRetries(Runnable reset, LongSupplier retriesSinceReset) {
        this.resetRetries = reset;
        this.retries = retriesSinceReset;
    }

    /** Starts an invocation; returns its start (for {@link #finish}). */
    long start() {
        counter.reset();
        resetRetries.run();
        return System.nanoTime();
    }

    /** Publishes the health check's duration and calls (its per-node figures come from the use case). */
    void finishHealth(long started) {
        metrics.publish(Map.of("Action", "health"), invocation((System.nanoTime() - started) / 1_000_000.0),
                Map.of());
    }

    private List<Metric> invocation(double millis) {
        var tally = counter.current();
        var values = new ArrayList<Metric>();
        values.add(Metric.millis("Duration", millis));
        values.add(Metric.count("AwsCalls", tally.calls));
        values.add(Metric.count("Throttles", tally.throttles));
        var sdkRetries = retries;
        if (sdkRetries != null) {
            values.add(Metric.count("SdkRetries", sdkRetries.getAsLong()));
        }
        return values;
    }

    /** Publishes the invocation's metrics. */
    void finish(String action, long started, HookOutcome outcome) {
        double millis = (System.nanoTime() - started) / 1_000_000.0;
        metrics.publish(Map.of("Action", action), invocation(millis),
                Map.of("outcome", outcome.getClass().getSimpleName()));
        if (outcome instanceof HookOutcome.Completed done && !done.alreadyDone()) {
            var name = done.result() == LifecycleResult.ABANDON ? "HookAbandoned" : "HookContinued";
            metrics.publish(Map.of(), List.of(Metric.count(name, 1)), Map.of("action", action,
                    "reason", done.reason()));
        }
        var recovered = counter.current().recoveredStatuses;
        if (recovered > 0) {
            metrics.publish(Map.of(), List.of(Metric.count("CommandStatusRecovered", recovered)),
                    Map.of("action", action));
        }
    }
}
