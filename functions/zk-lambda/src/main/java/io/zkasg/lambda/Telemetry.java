package io.zkasg.lambda;

import io.zkasg.core.LaunchOutcome;
import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.port.Metrics;
import io.zkasg.core.port.Metrics.Metric;
import java.util.List;
import java.util.Map;

/**
 * Per-invocation metrics of the hook functions: how long the action took, how many AWS calls it made and how many of
 * them were throttled past the SDK's retries (dimension Action), and each lifecycle hook it completed with CONTINUE or
 * ABANDON (HookContinued / HookAbandoned, per cluster: the ABANDON alarm watches the latter).
 */
final class Telemetry {

    private final CallCounter counter;
    private final Metrics metrics;

    Telemetry(CallCounter counter, Metrics metrics) {
        this.counter = counter;
        this.metrics = metrics;
    }

    /** Starts an invocation; returns its start (for {@link #finish}). */
    long start() {
        counter.reset();
        return System.nanoTime();
    }

    /** Publishes the health check's duration and calls (its per-node figures come from the use case). */
    void finishHealth(long started) {
        var tally = counter.current();
        metrics.publish(Map.of("Action", "health"), List.of(
                Metric.millis("Duration", (System.nanoTime() - started) / 1_000_000.0),
                Metric.count("AwsCalls", tally.calls),
                Metric.count("Throttles", tally.throttles)), Map.of());
    }

    /** Publishes the invocation's metrics. */
    void finish(String action, long started, LaunchOutcome outcome) {
        var tally = counter.current();
        double millis = (System.nanoTime() - started) / 1_000_000.0;
        metrics.publish(Map.of("Action", action), List.of(
                Metric.millis("Duration", millis),
                Metric.count("AwsCalls", tally.calls),
                Metric.count("Throttles", tally.throttles)),
                Map.of("outcome", outcome.getClass().getSimpleName()));
        if (outcome instanceof LaunchOutcome.Completed done && !done.alreadyDone()) {
            var name = done.result() == LifecycleResult.ABANDON ? "HookAbandoned" : "HookContinued";
            metrics.publish(Map.of(), List.of(Metric.count(name, 1)), Map.of("action", action,
                    "reason", done.reason()));
        }
    }
}
