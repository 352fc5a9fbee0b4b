package io.zkasg.local.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Counts the classes a runtime process loaded during its init and during its first invoke, by origin (the JDK, the
 * runtime interface client, the AWS SDK, Jackson, the functions' own code), from the JVM's
 * {@code -Xlog:class+load:file=...:uptimemillis} log: where a cold start's time goes is mostly class loading.
 */
record ClassLoads(Map<String, Integer> init, Map<String, Integer> first) {

    private static final Pattern LINE = Pattern.compile("^\\[(\\d+)ms\\] (\\S+) source: .*");

    /** Windows in ms since the process started (JVM uptime is within a few ms of it). */
    static ClassLoads read(Path log, double initEndMs, double firstFromMs, double firstToMs) throws IOException {
        var init = new TreeMap<String, Integer>();
        var first = new TreeMap<String, Integer>();
        for (var line : Files.readAllLines(log)) {
            var m = LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            long at = Long.parseLong(m.group(1));
            var origin = origin(m.group(2));
            if (at <= initEndMs) {
                init.merge(origin, 1, Integer::sum);
                init.merge("total", 1, Integer::sum);
            } else if (at >= firstFromMs && at <= firstToMs) {
                first.merge(origin, 1, Integer::sum);
                first.merge("total", 1, Integer::sum);
            }
        }
        return new ClassLoads(init, first);
    }

    private static String origin(String className) {
        if (className.startsWith("software.amazon.awssdk.")) {
            return "sdk";
        }
        if (className.startsWith("com.fasterxml.jackson.")) {
            return "jackson";
        }
        if (className.startsWith("io.zkasg.")) {
            return "zkasg";
        }
        if (className.startsWith("com.amazonaws.")) {
            return "ric";
        }
        return "jdk+other";
    }
}
