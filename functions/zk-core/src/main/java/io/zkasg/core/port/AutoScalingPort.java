package io.zkasg.core.port;

import io.zkasg.core.model.GroupMember;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.model.LifecycleResult;
import java.util.Collection;
import java.util.Map;

/** Auto Scaling as the orchestrator needs it. */
public interface AutoScalingPort {

    /**
     * Completes a lifecycle action. Throws {@link CloudException.NoActiveLifecycleAction} when the action is over
     * (already completed or timed out): callers treat that as done.
     */
    void completeLifecycleAction(LifecycleRef ref, LifecycleResult result);

    /** Restarts the hook's heartbeat timeout; {@link CloudException.NoActiveLifecycleAction} when it is over. */
    void recordHeartbeat(LifecycleRef ref);

    /** Auto Scaling's view of these instances (one DescribeAutoScalingInstances); absent = in no group. */
    Map<String, GroupMember> members(Collection<String> instanceIds);

    /**
     * Every instance of the group with its lifecycle state (one DescribeAutoScalingGroups of that group): how the
     * reconciler finds the actions in Pending:Wait and Terminating:Wait, including those whose event never came.
     */
    java.util.List<GroupMember> groupMembers(String groupName);

    /**
     * Tells Auto Scaling the instance is unhealthy (SetInstanceHealth Unhealthy, not respecting the grace period): the
     * group then terminates and replaces it through the normal hooks (terminate hook, then a launch that takes the
     * freed slot).
     */
    void markUnhealthy(String instanceId);

    /**
     * Terminates the instance and lowers the group's desired capacity by one (TerminateInstanceInAutoScalingGroup,
     * ShouldDecrementDesiredCapacity): the terminate hook runs as for any termination, and Auto Scaling launches no
     * replacement. How a shrink lets go of a member removed from the configuration. {@link CloudException.NotFound}
     * (ValidationError) when no group holds the instance, or when the decrement would take the group below its
     * minimum size.
     */
    void terminateInGroup(String instanceId);

    /**
     * Terminates the instance without lowering the group's desired capacity (TerminateInstanceInAutoScalingGroup,
     * ShouldDecrementDesiredCapacity false): the terminate hook runs, and Auto Scaling launches a replacement. How the
     * reconciler lets go of an instance one too many when the group is at its minimum size already (its decrement
     * refused). {@link CloudException.NotFound} (ValidationError) when no group holds the instance.
     */
    void replaceInGroup(String instanceId);

    /**
     * Makes sure the group's AZRebalance process is suspended, so that Auto Scaling never terminates a healthy node
     * only to move capacity between AZs. One DescribeAutoScalingGroups; SuspendProcesses only when AZRebalance is not
     * suspended yet. Returns whether it suspended it now.
     */
    boolean ensureAzRebalanceSuspended(String groupName);
}
