package io.zkasg.core;

import java.util.LinkedHashMap;
import java.util.Map;

/** The fields of one journal line, built in one place: key, value, key, value, ... kept in the order given. */
final class JournalFields {

    private JournalFields() {
    }

    /** The fields of a line: {@code pairs} as key, value, key, value (a trailing key without a value is dropped). */
    static Map<String, Object> line(Object... pairs) {
        var map = new LinkedHashMap<String, Object>();
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            map.put(String.valueOf(pairs[i]), pairs[i + 1]);
        }
        return map;
    }

    /** The fields of a line about one instance: its instanceId first, then {@code pairs}. */
    static Map<String, Object> fields(String instanceId, Object... pairs) {
        var all = new Object[pairs.length + 2];
        all[0] = "instanceId";
        all[1] = instanceId;
        System.arraycopy(pairs, 0, all, 2, pairs.length);
        return line(all);
    }
}
