package io.zkasg.lambda;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zkasg.core.port.Journal;
import java.io.PrintStream;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes each step as one JSON line (CloudWatch Logs parses them): time, level, step, the function's correlation id
 * (the triggering event's id) and the step's fields.
 */
public final class JsonJournal implements Journal {

    private static final String INSTANCE_ID = "instanceId";
    private static final java.util.List<String> STICKY = java.util.List.of("nodeId", "az");

    private final ObjectMapper json;
    private final PrintStream out;
    private final Clock clock;
    private final ThreadLocal<String> correlationId = ThreadLocal.withInitial(() -> "");
    /** Per invocation: what is known of each instance so far (nodeId, az), to complete later lines. */
    private final ThreadLocal<Map<String, Map<String, Object>>> known = ThreadLocal.withInitial(LinkedHashMap::new);

    public JsonJournal(ObjectMapper json, PrintStream out, Clock clock) {
        this.json = json;
        this.out = out;
        this.clock = clock;
    }

    /** Sets the correlation id that every line of the current invocation carries. */
    public void correlate(String id) {
        correlationId.set(id == null ? "" : id);
        known.get().clear();
    }

    /** The correlation id of the current invocation (empty when none was set). */
    public String correlationId() {
        return correlationId.get();
    }

    @Override
    public void record(String step, Map<String, ?> fields) {
        line(step.endsWith("-ignored") || step.startsWith("slot-problem") ? "WARN" : "INFO", step, fields);
    }

    /** An error line: something failed that a person may have to look at. */
    public void error(String step, Map<String, ?> fields) {
        line("ERROR", step, fields);
    }

    /**
     * Every line of an invocation carries the instance id, node id and AZ once they are known: a use case names the
     * node and AZ where it learns them, and the lines after that about the same instance get them here. A line
     * without an instance id gets the invocation's instance when there is exactly one (a launch, a terminate).
     */
    private void complete(Map<String, Object> line) {
        var instances = known.get();
        var id = line.get(INSTANCE_ID);
        if (id == null && instances.size() == 1) {
            id = instances.keySet().iterator().next();
            line.put(INSTANCE_ID, id);
        }
        if (id == null || String.valueOf(id).isEmpty()) {
            return;
        }
        var facts = instances.computeIfAbsent(String.valueOf(id), k -> new LinkedHashMap<>());
        for (var key : STICKY) {
            var value = line.get(key);
            if (value != null && !String.valueOf(value).isEmpty()) {
                facts.put(key, value);
            } else if (facts.containsKey(key)) {
                line.put(key, facts.get(key));
            }
        }
    }

    private void line(String level, String step, Map<String, ?> fields) {
        var line = new LinkedHashMap<String, Object>();
        line.put("time", clock.instant().toString());
        line.put("level", level);
        line.put("step", step);
        line.put("correlationId", correlationId.get());
        line.putAll(fields);
        complete(line);
        try {
            out.println(json.writeValueAsString(line));
        } catch (JsonProcessingException e) {
            out.println("{\"level\":\"ERROR\",\"step\":\"log-failed\",\"error\":\"" + e.getClass().getName() + "\"}");
        }
    }
}
