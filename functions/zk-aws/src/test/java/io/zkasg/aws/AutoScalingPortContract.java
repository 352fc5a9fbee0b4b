package io.zkasg.aws;

import static io.zkasg.aws.ContractAssertions.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.CloudException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What every {@link AutoScalingPort} must do, run against the fake ({@link FakeAutoScalingContractTest}), the adapter
 * over the wire to the fake ({@link WireAutoScalingContractTest}) and the adapter against Auto Scaling's documented
 * answers ({@link AwsAutoScalingContractTest}). Each case names the behaviour it pins and where AWS documents it.
 */
abstract class AutoScalingPortContract {

    static final String COMPLETE =
            "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CompleteLifecycleAction.html";
    static final String HOOKS = "https://docs.aws.amazon.com/autoscaling/ec2/userguide/completing-lifecycle-hooks.html";
    static final String DESCRIBE_INSTANCES =
            "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingInstances.html";
    static final String SUSPEND = "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SuspendProcesses.html";
    static final String SET_HEALTH =
            "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetInstanceHealth.html";
    static final String COMMON_ERRORS =
            "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/CommonErrors.html";
    static final String HOOK_STATES =
            "https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks-overview.html";
    static final String REPLACE_UNHEALTHY =
            "https://docs.aws.amazon.com/autoscaling/ec2/userguide/replace-unhealthy-instance.html";
    static final String TERMINATE_IN_GROUP = "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/"
            + "API_TerminateInstanceInAutoScalingGroup.html";
    static final String THROTTLING = "https://repost.aws/knowledge-center/autoscaling-api-calls-throttled";
    static final String GROUP = "zk-demo-asg";
    static final String LAUNCH_HOOK = "zk-demo-launch";

    /** The port of one case and the instance it acts for. */
    record Arranged(AutoScalingPort port, String instanceId) {
        LifecycleRef launchAction() {
            return new LifecycleRef(GROUP, LAUNCH_HOOK, instanceId, null);
        }
    }

    /** An instance whose launch action was completed once already (CONTINUE). */
    abstract Arranged completedLaunch();

    /** An instance whose launch action waits, named with its token as a lifecycle event carries it. */
    abstract Waiting waitingLaunch();

    /** The port of one case and the waiting action it acts on. */
    record Waiting(AutoScalingPort port, LifecycleRef action) {
    }

    /** An instance id no group knows. */
    abstract Arranged unknownInstance();

    /** Group {@link #GROUP} with no suspended process; AZRebalance gets suspended by the first call. */
    abstract Arranged groupWithoutSuspendedProcesses();

    /** An instance in service in a group whose desired capacity equals its minimum size. */
    abstract Arranged memberOfAGroupAtItsMinimumSize();

    /** An instance whose launch action was completed (CONTINUE) a moment ago; describes lag one change behind. */
    abstract Arranged launchJustCompleted();

    /** An instance in service, marked unhealthy (SetInstanceHealth) a moment ago; describes lag one change behind. */
    abstract Arranged justMarkedUnhealthy();

    /** {@code operation} is throttled past the SDK's retries. */
    abstract Arranged throttled(String operation);

    @Test
    void completeLifecycleAction_shouldBeNoActiveLifecycleAction_whenTheActionIsOver() {
        // Auto Scaling: an action completes once (COMPLETE, HOOKS); completing it again, or after its timeout, is
        // refused with ValidationError "No active Lifecycle Action found with instance ID ..." (not listed among the
        // action's documented errors; the message AWS sends, in /work/shared/aws-facts.md). Callers treat it as done.
        var a = completedLaunch();
        var thrown = assertRefused(() -> a.port().completeLifecycleAction(a.launchAction(), LifecycleResult.CONTINUE),
                CloudException.NoActiveLifecycleAction.class, "ValidationError");
        assertThat(thrown).hasMessageContaining("No active Lifecycle Action");
    }

    @Test
    void completeLifecycleAction_shouldCompleteTheActionNamedByItsToken_once() {
        // Auto Scaling: CompleteLifecycleAction names the action by its LifecycleActionToken or by the InstanceId
        // (COMPLETE, Request Parameters); the adapter sends the token alone when the event carried one (lifecycle
        // events do, SSM status events do not). The action completes, and a second completion is refused.
        var w = waitingLaunch();
        w.port().completeLifecycleAction(w.action(), LifecycleResult.CONTINUE);
        var again = catchThrowable(() -> w.port().completeLifecycleAction(w.action(), LifecycleResult.CONTINUE));
        assertThat(again).isInstanceOf(CloudException.NoActiveLifecycleAction.class);
    }

    @Test
    void recordHeartbeat_shouldBeNoActiveLifecycleAction_whenTheActionIsOver() {
        // Auto Scaling: a heartbeat restarts the timeout of an action still in its wait state only (HOOKS).
        var a = completedLaunch();
        var thrown = catchThrowable(() -> a.port().recordHeartbeat(a.launchAction()));
        assertThat(thrown).isInstanceOf(CloudException.NoActiveLifecycleAction.class);
    }

    @Test
    void members_shouldLeaveOutAnInstanceInNoGroup() {
        // Auto Scaling: DescribeAutoScalingInstances describes only instances that are in a group
        // (DESCRIBE_INSTANCES); an unknown id is absent from the answer, not an error.
        var a = unknownInstance();
        assertThat(a.port().members(List.of(a.instanceId()))).isEmpty();
    }

    @Test
    void markUnhealthy_shouldBeNotFound_whenNoGroupKnowsTheInstance() {
        // Auto Scaling: SetInstanceHealth acts on an instance of a group (SET_HEALTH); for any other id it answers
        // the common ValidationError (COMMON_ERRORS). The exact message is the one the fake uses, not confirmed
        // from AWS's own text; the code is. The health function must get a domain error it can log, not a crash.
        var a = unknownInstance();
        assertRefused(() -> a.port().markUnhealthy(a.instanceId()), CloudException.NotFound.class, "ValidationError");
    }

    @Test
    void terminateInGroup_shouldBeNotFound_whenNoGroupKnowsTheInstance() {
        // Auto Scaling: TerminateInstanceInAutoScalingGroup acts on an instance of a group (TERMINATE_IN_GROUP); for
        // any other id it answers the common ValidationError (COMMON_ERRORS), as SetInstanceHealth does. The shrink
        // step logs it and goes on.
        var a = unknownInstance();
        assertRefused(() -> a.port().terminateInGroup(a.instanceId()), CloudException.NotFound.class,
                "ValidationError");
    }

    @Test
    void terminateInGroup_shouldBeRefusedAtTheMinimumSize_whileReplaceInGroupGoes() {
        // Auto Scaling: with ShouldDecrementDesiredCapacity the group's desired capacity goes down by one, which
        // cannot go below its MinSize (TERMINATE_IN_GROUP): the common ValidationError (COMMON_ERRORS; the message,
        // "Currently, desiredSize equals minSize ...", as operators report it, not confirmed from AWS's own text).
        // Without the decrement the instance goes and the group replaces it.
        var a = memberOfAGroupAtItsMinimumSize();
        assertRefused(() -> a.port().terminateInGroup(a.instanceId()), CloudException.NotFound.class,
                "ValidationError");
        a.port().replaceInGroup(a.instanceId());
    }

    @Test
    void ensureAzRebalanceSuspended_shouldSuspendOnce_whenCalledTwice() {
        // Auto Scaling: SuspendProcesses suspends the named processes and DescribeAutoScalingGroups lists them
        // (SUSPEND); the second call sees AZRebalance suspended and changes nothing (idempotent).
        var a = groupWithoutSuspendedProcesses();
        assertThat(a.port().ensureAzRebalanceSuspended(GROUP)).isTrue();
        assertThat(a.port().ensureAzRebalanceSuspended(GROUP)).isFalse();
    }

    @Test
    void members_shouldBeThrottled_whenAutoScalingKeepsSayingThrottling() {
        // Auto Scaling: throttled calls fail with "Throttling: Rate exceeded" (THROTTLING; one bucket for all Auto
        // Scaling calls of the account); what outlasts the SDK's retries reaches the port as Throttled.
        var a = throttled("DescribeAutoScalingInstances");
        assertRefused(() -> a.port().members(List.of(a.instanceId())), CloudException.Throttled.class, "Throttling");
    }

    @Test
    void members_shouldNotShowInService_rightAfterTheLaunchActionCompleted() {
        // Auto Scaling: completing a launch action moves the instance to Pending:Proceed, and only then to InService
        // (HOOK_STATES); describes are not bound to show the completion at once (the fake lags, as EC2's reads do).
        // A member seen just after its completion is not counted as in service: the guard counts it REJOINING
        // (not serving, the safe side) and health does not judge it yet.
        var a = launchJustCompleted();
        var seen = a.port().members(List.of(a.instanceId())).get(a.instanceId());
        assertThat(seen).isNotNull();
        assertThat(seen.lifecycleState()).startsWith("Pending").isNotEqualTo("InService");
        assertThat(seen.isLeaving()).isFalse();
    }

    @Test
    void groupMembers_shouldNotShowInService_rightAfterTheLaunchActionCompleted() {
        // The same through DescribeAutoScalingGroups (HOOK_STATES), which the reconciler reads: an action completed
        // a moment ago may still look like a wait to it, and its re-drive then finds no active action (the first
        // case above) and changes nothing.
        var a = launchJustCompleted();
        var seen = a.port().groupMembers(GROUP).stream().filter(m -> m.instanceId().equals(a.instanceId()))
                .findFirst();
        assertThat(seen).hasValueSatisfying(m -> assertThat(m.lifecycleState()).startsWith("Pending"));
    }

    @Test
    void members_shouldStillShowInService_rightAfterSetInstanceHealthUnhealthy() {
        // Auto Scaling: SetInstanceHealth only records the status (SET_HEALTH); the group replaces an unhealthy
        // instance afterwards, terminating it first (REPLACE_UNHEALTHY). Right after the mark the member still reads
        // InService (with either health status): the health function's next run must not count it as leaving yet,
        // and nothing may rely on the mark being visible at once.
        var a = justMarkedUnhealthy();
        var seen = a.port().members(List.of(a.instanceId())).get(a.instanceId());
        assertThat(seen).isNotNull();
        assertThat(seen.lifecycleState()).isEqualTo("InService");
        assertThat(seen.isLeaving()).isFalse();
    }
}
