package io.zkasg.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import io.zkasg.core.HealthUseCase;
import io.zkasg.core.port.CloudException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * EventBridge schedule (every minute) → check every member of the ensemble, count failures, replace a node that stays
 * sick when that is safe, report stale state, keep AZRebalance suspended. Any invocation runs one check: the check is
 * idempotent, so the event's content only gives the correlation id.
 */
public final class HealthCheckHandler implements RequestStreamHandler {

    private final Wiring wiring;

    public HealthCheckHandler() {
        this(Runtime.wiring());
    }

    public HealthCheckHandler(Wiring wiring) {
        this.wiring = wiring;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Outcomes.write(output, handle(input.readAllBytes()));
    }

    public Map<String, Object> handle(byte[] raw) {
        var journal = wiring.journal();
        journal.correlate(wiring.events().id(raw));
        var started = wiring.telemetry().start();
        HealthUseCase.Report report;
        try {
            report = wiring.health().check();
        } catch (CloudException e) {
            // Throttled or refused even after the SDK's retries: the next scheduled run checks again, so this one
            // ends normally (Lambda's retries of an old check would only pile up behind the schedule).
            journal.error("health-check-failed", Map.of("code", e.code(), "error", e.getMessage()));
            wiring.telemetry().finishHealth(started);
            return Outcomes.ignored("health check failed: " + e.code());
        }
        wiring.telemetry().finishHealth(started);
        var summary = new LinkedHashMap<String, Object>();
        summary.put("outcome", "Checked");
        summary.put("serving", report.serving());
        summary.put("leaders", report.leaders());
        summary.put("quorum", report.quorum());
        summary.put("markedUnhealthy", report.markedUnhealthy().orElse(""));
        summary.put("nodes", report.nodes().stream().map(HealthCheckHandler::node).toList());
        summary.put("problems", report.problems());
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
