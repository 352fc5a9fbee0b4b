package io.zkasg.lambda;

import java.time.Instant;

/** The parts of an Auto Scaling lifecycle action event (EventBridge) that the orchestrator uses. */
record LifecycleEvent(String id, String source, String detailType, Instant time, String groupName, String hookName,
                      String instanceId, String token, String transition) {
}
