package io.zkasg.core.port;

import java.util.Map;

/** Where the use cases record each decision: one structured line per step. */
public interface Journal {

    /** Records that {@code step} happened, with its fields (instanceId, nodeId, eniId, volumeId, commandId, ...). */
    void record(String step, Map<String, ?> fields);
}
