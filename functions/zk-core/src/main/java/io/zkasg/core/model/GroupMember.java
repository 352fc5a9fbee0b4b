package io.zkasg.core.model;

/**
 * What Auto Scaling says about one instance.
 *
 * @param lifecycleState Auto Scaling's name, e.g. Pending:Wait, InService, Terminating:Wait, Terminated
 */
public record GroupMember(String instanceId, String groupName, String lifecycleState, String healthStatus) {

    /** Leaving the group: its slot is being released or will be once the instance is gone. */
    public boolean isLeaving() {
        return lifecycleState.startsWith("Terminating") || "Terminated".equals(lifecycleState)
                || lifecycleState.startsWith("Detaching") || "Detached".equals(lifecycleState);
    }
}
