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

    private final ObjectMapper json;
    private final PrintStream out;
    private final Clock clock;
    private final ThreadLocal<String> correlationId = ThreadLocal.withInitial(() -> "");

    public JsonJournal(ObjectMapper json, PrintStream out, Clock clock) {
        this.json = json;
        this.out = out;
        this.clock = clock;
    }

    /** Sets the correlation id that every line of the current invocation carries. */
    public void correlate(String id) {
        correlationId.set(id == null ? "" : id);
    }

    @Override
    public void record(String step, Map<String, ?> fields) {
        line(step.endsWith("-ignored") || step.startsWith("slot-problem") ? "WARN" : "INFO", step, fields);
    }

    /** An error line: something failed that a person may have to look at. */
    public void error(String step, Map<String, ?> fields) {
        line("ERROR", step, fields);
    }

    private void line(String level, String step, Map<String, ?> fields) {
        var line = new LinkedHashMap<String, Object>();
        line.put("time", clock.instant().toString());
        line.put("level", level);
        line.put("step", step);
        line.put("correlationId", correlationId.get());
        line.putAll(fields);
        try {
            out.println(json.writeValueAsString(line));
        } catch (JsonProcessingException e) {
            out.println("{\"level\":\"ERROR\",\"step\":\"log-failed\",\"error\":\"" + e.getClass().getName() + "\"}");
        }
    }
}
