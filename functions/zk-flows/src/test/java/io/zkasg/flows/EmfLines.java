package io.zkasg.flows;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads back what the functions published as CloudWatch embedded-metric-format lines in a captured log. */
final class EmfLines {

    private static final ObjectMapper JSON = new ObjectMapper();

    private EmfLines() {
    }

    /** The values published for {@code metric} in {@code log}, oldest first. */
    static List<Integer> published(ByteArrayOutputStream log, String metric) {
        var out = new ArrayList<Integer>();
        for (var line : log.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("{") && line.contains("\"_aws\"") && line.contains("\"" + metric + "\"")) {
                try {
                    var value = JSON.readValue(line, new TypeReference<Map<String, Object>>() { }).get(metric);
                    out.add(((Number) value).intValue());
                } catch (Exception e) {
                    throw new AssertionError("not a JSON line: " + line, e);
                }
            }
        }
        return out;
    }
}
