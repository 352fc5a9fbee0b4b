package io.zkasg.core.model;

import java.util.Objects;

/**
 * Identifies one lifecycle action. The token is optional: CompleteLifecycleAction and RecordLifecycleActionHeartbeat
 * accept the instance id instead, which is what the command status path uses (SSM events carry no token).
 */
public record LifecycleRef(String groupName, String hookName, String instanceId, String token) {

    public LifecycleRef {
        Objects.requireNonNull(groupName, "groupName");
        Objects.requireNonNull(hookName, "hookName");
        Objects.requireNonNull(instanceId, "instanceId");
    }
}
