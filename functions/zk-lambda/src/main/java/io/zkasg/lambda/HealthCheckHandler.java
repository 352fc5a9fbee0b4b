package io.zkasg.lambda;

import io.zkasg.core.HealthUseCase;
import io.zkasg.core.Reconciler;
import io.zkasg.core.port.CloudException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * EventBridge schedule (every minute) → re-drive every lifecycle action whose wait died ({@link Reconciler}), check
 * every member of the ensemble, count failures, replace a node that stays
 * sick when that is safe, report stale state, keep AZRebalance suspended. Any invocation runs one check: the check is
 * idempotent, so the event's content only gives the correlation id.
 */
public final class HealthCheckHandler extends EventHandler<byte[], HealthCheckHandler.Checked> {

    /** The check's report, or why it could not be made, and the actions the reconciler re-drove. */
    record Checked(HealthUseCase.Report report, CloudException failure, List<Reconciler.Redrive> redriven) {
    }

    public HealthCheckHandler() {
        this(Runtime.wiring());
    }

    public HealthCheckHandler(Wiring wiring) {
        super(wiring);
    }

    @Override
    byte[] parse(byte[] raw) {
        wiring.journal().correlate(wiring.events().id(raw));
        return raw;
    }

    @Override
    Checked call(byte[] event) {
        List<Reconciler.Redrive> redriven;
        try {
            // First: a dead wait costs the hook time, a health check only information.
            redriven = wiring.reconciler().reconcile();
        } catch (CloudException e) {
            wiring.journal().error("reconcile-failed", Map.of("code", e.code(), "error", e.getMessage()));
            redriven = List.of();
        }
        try {
            var report = wiring.health().check();
            // Then the membership, from what the check read: one change at a time (grow and shrink online).
            wiring.membership().ifPresent(step -> {
                try {
                    step.reconcile(report);
                } catch (CloudException e) {
                    wiring.journal().error("reconfig-failed", Map.of("code", e.code(), "error", e.getMessage()));
                }
            });
            return new Checked(report, null, redriven);
        } catch (CloudException e) {
            // Throttled or refused even after the SDK's retries: the next scheduled run checks again, so this one
            // ends normally (Lambda's retries of an old check would only pile up behind the schedule).
            return new Checked(null, e, redriven);
        }
    }

    @Override
    void log(byte[] event, Checked checked, long started) {
        var e = checked.failure();
        if (e != null) {
            wiring.journal().error("health-check-failed", Map.of("code", e.code(), "error", e.getMessage()));
        }
        wiring.telemetry().finishHealth(started);
    }

    @Override
    Map<String, Object> answer(Checked checked) {
        if (checked.failure() != null) {
            return Outcomes.ignored("health check failed: " + checked.failure().code());
        }
        var report = checked.report();
        var summary = new LinkedHashMap<String, Object>();
        summary.put("outcome", "Checked");
        summary.put("serving", report.serving());
        summary.put("leaders", report.leaders());
        summary.put("quorum", report.quorum());
        summary.put("markedUnhealthy", report.markedUnhealthy().orElse(""));
        summary.put("nodes", report.nodes().stream().map(HealthCheckHandler::node).toList());
        summary.put("problems", report.problems());
        summary.put("redriven", checked.redriven().stream().map(r -> r.instanceId() + "/" + r.hook()).toList());
        return summary;
    }

    private static Map<String, Object> node(HealthUseCase.Node node) {
        var map = new LinkedHashMap<String, Object>();
        map.put("nodeId", node.nodeId());
        map.put("instanceId", node.instanceId());
        map.put("az", node.az());
        map.put("state", node.state().name());
        map.put("mode", node.mode());
        map.put("failures", node.failures());
        return map;
    }
}
