package io.zkasg.aws;

import io.zkasg.aws.AwsErrors.Call;
import io.zkasg.core.model.GroupMember;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.CloudException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingException;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingInstanceDetails;
import software.amazon.awssdk.services.autoscaling.model.CompleteLifecycleActionRequest;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingGroupsRequest;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingInstancesRequest;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingInstancesResponse;
import software.amazon.awssdk.services.autoscaling.model.RecordLifecycleActionHeartbeatRequest;
import software.amazon.awssdk.services.autoscaling.model.SetInstanceHealthRequest;
import software.amazon.awssdk.services.autoscaling.model.TerminateInstanceInAutoScalingGroupRequest;
import software.amazon.awssdk.services.autoscaling.model.SuspendProcessesRequest;
import software.amazon.awssdk.services.autoscaling.model.SuspendedProcess;

/** {@link AutoScalingPort} over the Auto Scaling API. */
public final class AwsAutoScaling implements AutoScalingPort {

    /** The process that moves capacity between AZs by terminating healthy instances. */
    static final String AZ_REBALANCE = "AZRebalance";

    /** DescribeAutoScalingInstances takes at most 50 instance ids per call. */
    static final int MAX_IDS_PER_CALL = 50;

    private final AutoScalingClient autoScaling;

    public AwsAutoScaling(AutoScalingClient autoScaling) {
        this.autoScaling = Objects.requireNonNull(autoScaling, "autoScaling");
    }

    @Override
    public void completeLifecycleAction(LifecycleRef ref, LifecycleResult result) {
        CompleteLifecycleActionRequest.Builder request = CompleteLifecycleActionRequest.builder()
                .autoScalingGroupName(ref.groupName())
                .lifecycleHookName(ref.hookName())
                .lifecycleActionResult(result.name());
        // The token names the action exactly; without one (SSM events carry none) the instance id does.
        if (hasToken(ref)) {
            request.lifecycleActionToken(ref.token());
        } else {
            request.instanceId(ref.instanceId());
        }
        AwsErrors.run(Call.OTHER, () -> autoScaling.completeLifecycleAction(request.build()));
    }

    @Override
    public void recordHeartbeat(LifecycleRef ref) {
        RecordLifecycleActionHeartbeatRequest.Builder request = RecordLifecycleActionHeartbeatRequest.builder()
                .autoScalingGroupName(ref.groupName())
                .lifecycleHookName(ref.hookName());
        if (hasToken(ref)) {
            request.lifecycleActionToken(ref.token());
        } else {
            request.instanceId(ref.instanceId());
        }
        AwsErrors.run(Call.OTHER, () -> autoScaling.recordLifecycleActionHeartbeat(request.build()));
    }

    @Override
    public Map<String, GroupMember> members(Collection<String> instanceIds) {
        List<String> ids = new ArrayList<>(new LinkedHashSet<>(instanceIds));
        Map<String, GroupMember> members = new LinkedHashMap<>();
        // An empty id list would describe every instance of the account: never send it.
        for (int from = 0; from < ids.size(); from += MAX_IDS_PER_CALL) {
            List<String> chunk = ids.subList(from, Math.min(from + MAX_IDS_PER_CALL, ids.size()));
            DescribeAutoScalingInstancesRequest request = DescribeAutoScalingInstancesRequest.builder()
                    .instanceIds(chunk)
                    .build();
            AwsErrors.call(Call.OTHER, () -> Pages.all(
                    token -> autoScaling.describeAutoScalingInstances(request.toBuilder().nextToken(token).build()),
                    DescribeAutoScalingInstancesResponse::nextToken,
                    DescribeAutoScalingInstancesResponse::autoScalingInstances))
                    .forEach(details -> members.put(details.instanceId(), toMember(details)));
        }
        return members;
    }

    @Override
    public List<GroupMember> groupMembers(String groupName) {
        DescribeAutoScalingGroupsRequest describe = DescribeAutoScalingGroupsRequest.builder()
                .autoScalingGroupNames(groupName)
                .build();
        // An unknown group is an empty list, not an error (as DescribeAutoScalingGroups answers it).
        return AwsErrors.call(Call.OTHER, () -> autoScaling.describeAutoScalingGroups(describe).autoScalingGroups()
                .stream()
                .filter(g -> groupName.equals(g.autoScalingGroupName()))
                .flatMap(g -> g.instances().stream())
                .map(i -> new GroupMember(i.instanceId(), groupName, i.lifecycleStateAsString(), i.healthStatus()))
                .toList());
    }

    @Override
    public void markUnhealthy(String instanceId) {
        // Not respecting the grace period: the health function only calls this after several failed checks of a node
        // that was serving before, so the grace period (meant for booting instances) has nothing left to protect.
        SetInstanceHealthRequest request = SetInstanceHealthRequest.builder()
                .instanceId(instanceId)
                .healthStatus("Unhealthy")
                .shouldRespectGracePeriod(false)
                .build();
        // The request's other fields are fixed, so a ValidationError can only be about the instance: it is in no
        // group (any more). The caller logs it and goes on instead of failing the whole health run.
        validationIsNotFound(() -> AwsErrors.run(Call.OTHER, () -> autoScaling.setInstanceHealth(request)));
    }

    @Override
    public void terminateInGroup(String instanceId) {
        terminate(instanceId, true);
    }

    @Override
    public void replaceInGroup(String instanceId) {
        terminate(instanceId, false);
    }

    private void terminate(String instanceId, boolean decrement) {
        var request = TerminateInstanceInAutoScalingGroupRequest.builder()
                .instanceId(instanceId)
                .shouldDecrementDesiredCapacity(decrement)
                .build();
        // ValidationError: the instance is in no group, or the group is at its minimum size already.
        validationIsNotFound(() -> AwsErrors.run(Call.OTHER,
                () -> autoScaling.terminateInstanceInAutoScalingGroup(request)));
    }

    private static void validationIsNotFound(Runnable call) {
        try {
            call.run();
        } catch (AutoScalingException e) {
            if (e.awsErrorDetails() != null && "ValidationError".equals(e.awsErrorDetails().errorCode())) {
                CloudException notFound = new CloudException.NotFound("ValidationError",
                        e.awsErrorDetails().errorMessage() == null ? "" : e.awsErrorDetails().errorMessage());
                notFound.initCause(e);
                throw notFound;
            }
            throw e;
        }
    }

    @Override
    public boolean ensureAzRebalanceSuspended(String groupName) {
        DescribeAutoScalingGroupsRequest describe = DescribeAutoScalingGroupsRequest.builder()
                .autoScalingGroupNames(groupName)
                .build();
        List<SuspendedProcess> suspended = AwsErrors.call(Call.OTHER, () -> autoScaling
                .describeAutoScalingGroups(describe).autoScalingGroups().stream()
                .filter(g -> groupName.equals(g.autoScalingGroupName()))
                .findFirst()
                .orElseThrow(() -> new CloudException.NotFound("ValidationError",
                        "Auto Scaling group " + groupName + " not found"))
                .suspendedProcesses());
        if (suspended.stream().anyMatch(p -> AZ_REBALANCE.equals(p.processName()))) {
            return false;
        }
        SuspendProcessesRequest suspend = SuspendProcessesRequest.builder()
                .autoScalingGroupName(groupName)
                .scalingProcesses(AZ_REBALANCE)
                .build();
        AwsErrors.run(Call.OTHER, () -> autoScaling.suspendProcesses(suspend));
        return true;
    }

    private static boolean hasToken(LifecycleRef ref) {
        return ref.token() != null && !ref.token().isBlank();
    }

    private static GroupMember toMember(AutoScalingInstanceDetails details) {
        return new GroupMember(details.instanceId(), details.autoScalingGroupName(), details.lifecycleState(),
                details.healthStatus());
    }
}
