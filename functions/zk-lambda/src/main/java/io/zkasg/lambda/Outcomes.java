package io.zkasg.lambda;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.zkasg.core.HookOutcome;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/** The handlers' return value: a small JSON summary of what happened (what `sam local invoke` prints). */
final class Outcomes {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Outcomes() {
    }

    /** Loads and initialises Jackson's reading and writing paths (used once, at start-up). */
    static void warmUp() {
        try {
            var tree = JSON.readTree("{\"detail\":{\"a\":\"b\",\"n\":1}}");
            JSON.writeValueAsBytes(Map.of("outcome", tree.path("detail").path("a").asText()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Map<String, Object> summary(HookOutcome outcome) {
        var map = new LinkedHashMap<String, Object>();
        map.put("outcome", outcome.getClass().getSimpleName());
        map.put("reason", outcome.reason());
        if (outcome instanceof HookOutcome.CommandSent sent) {
            map.put("nodeId", sent.nodeId());
            map.put("eniId", sent.eniId());
            map.put("volumeId", sent.volumeId());
            map.put("commandId", sent.commandId());
        } else if (outcome instanceof HookOutcome.Completed done) {
            map.put("result", done.result().name());
            map.put("alreadyDone", done.alreadyDone());
        } else if (outcome instanceof HookOutcome.Deferred deferred) {
            map.put("resumeInSeconds", deferred.delay().toSeconds());
        }
        return map;
    }

    static Map<String, Object> ignored(String reason) {
        var map = new LinkedHashMap<String, Object>();
        map.put("outcome", "Ignored");
        map.put("reason", reason);
        return map;
    }

    static void write(OutputStream out, Map<String, Object> summary) throws IOException {
        out.write(JSON.writeValueAsBytes(summary));
        out.flush();
    }
}
