package io.zkasg.aws;

import static io.zkasg.testkit.stub.AwsStubServer.error;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.zkasg.core.model.GroupMember;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.port.CloudException;
import io.zkasg.testkit.stub.AwsShapes;
import io.zkasg.testkit.stub.AwsStubServer.Request;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsServiceException;

class AwsAutoScalingTest extends AgainstStub {

    private AwsAutoScaling autoScaling;

    @BeforeEach
    void adapter() {
        autoScaling = new AwsAutoScaling(clients.autoScaling());
    }

    @Test
    void completeLifecycleAction_shouldSendToken_whenRefHasOne() {
        // GIVEN
        LifecycleRef ref = new LifecycleRef("zk-asg", "zk-launch", "i-1", "tok-123");

        // WHEN
        autoScaling.completeLifecycleAction(ref, LifecycleResult.CONTINUE);

        // THEN
        Request request = stub.requests("CompleteLifecycleAction").get(0);
        assertThat(request.param("AutoScalingGroupName")).isEqualTo("zk-asg");
        assertThat(request.param("LifecycleHookName")).isEqualTo("zk-launch");
        assertThat(request.param("LifecycleActionResult")).isEqualTo("CONTINUE");
        assertThat(request.param("LifecycleActionToken")).isEqualTo("tok-123");
        assertThat(request.param("InstanceId")).isNull();
    }

    @Test
    void completeLifecycleAction_shouldSendInstanceId_whenRefHasNoToken() {
        // GIVEN
        LifecycleRef ref = new LifecycleRef("zk-asg", "zk-launch", "i-1", null);

        // WHEN
        autoScaling.completeLifecycleAction(ref, LifecycleResult.ABANDON);

        // THEN
        Request request = stub.requests("CompleteLifecycleAction").get(0);
        assertThat(request.param("LifecycleActionResult")).isEqualTo("ABANDON");
        assertThat(request.param("InstanceId")).isEqualTo("i-1");
        assertThat(request.param("LifecycleActionToken")).isNull();
    }

    @Test
    void completeLifecycleAction_shouldThrowNoActiveLifecycleAction_whenActionIsOver() {
        // GIVEN
        stub.enqueue("CompleteLifecycleAction", error("ValidationError",
                "No active Lifecycle Action found with instance ID i-1"));

        // WHEN
        Throwable thrown = catchThrowable(() -> autoScaling.completeLifecycleAction(
                new LifecycleRef("zk-asg", "zk-launch", "i-1", null), LifecycleResult.CONTINUE));

        // THEN
        assertThat(thrown).isInstanceOf(CloudException.NoActiveLifecycleAction.class);
        assertThat(((CloudException) thrown).code()).isEqualTo("ValidationError");
    }

    @Test
    void completeLifecycleAction_shouldRethrowUnchanged_whenOtherValidationError() {
        // GIVEN
        stub.enqueue("CompleteLifecycleAction", error("ValidationError", "Group zk-asg not found"));

        // WHEN
        Throwable thrown = catchThrowable(() -> autoScaling.completeLifecycleAction(
                new LifecycleRef("zk-asg", "zk-launch", "i-1", null), LifecycleResult.CONTINUE));

        // THEN
        assertThat(thrown).isInstanceOf(AwsServiceException.class).isNotInstanceOf(CloudException.class);
    }

    @Test
    void recordHeartbeat_shouldSendTokenOrInstanceId_whenCalled() {
        // GIVEN / WHEN
        autoScaling.recordHeartbeat(new LifecycleRef("zk-asg", "zk-launch", "i-1", "tok-1"));
        autoScaling.recordHeartbeat(new LifecycleRef("zk-asg", "zk-launch", "i-2", ""));

        // THEN
        List<Request> requests = stub.requests("RecordLifecycleActionHeartbeat");
        assertThat(requests.get(0).param("LifecycleActionToken")).isEqualTo("tok-1");
        assertThat(requests.get(0).param("InstanceId")).isNull();
        assertThat(requests.get(1).param("InstanceId")).isEqualTo("i-2");
        assertThat(requests.get(1).param("LifecycleActionToken")).isNull();
        assertThat(requests).allSatisfy(r -> assertThat(r.param("LifecycleHookName")).isEqualTo("zk-launch"));
    }

    @Test
    void recordHeartbeat_shouldThrowNoActiveLifecycleAction_whenActionIsOver() {
        // GIVEN
        stub.enqueue("RecordLifecycleActionHeartbeat", error("ValidationError",
                "No active Lifecycle Action found with token tok-1"));

        // WHEN / THEN
        assertThat(catchThrowable(() -> autoScaling.recordHeartbeat(
                new LifecycleRef("zk-asg", "zk-launch", "i-1", "tok-1"))))
                .isInstanceOf(CloudException.NoActiveLifecycleAction.class);
    }

    @Test
    void members_shouldMapGroupMembers_whenInstancesAreInGroups() {
        // GIVEN
        GroupMember one = new GroupMember("i-1", "zk-asg", "Pending:Wait", "HEALTHY");
        GroupMember two = new GroupMember("i-2", "zk-asg", "Terminating:Wait", "UNHEALTHY");
        stub.on("DescribeAutoScalingInstances", r -> AwsShapes.describeAutoScalingInstances(List.of(one, two), null));

        // WHEN
        Map<String, GroupMember> members = autoScaling.members(List.of("i-1", "i-2", "i-3"));

        // THEN
        assertThat(members).containsExactly(Map.entry("i-1", one), Map.entry("i-2", two));
        assertThat(stub.requests("DescribeAutoScalingInstances").get(0).params("InstanceIds.")).containsExactly(
                Map.entry("InstanceIds.member.1", "i-1"), Map.entry("InstanceIds.member.2", "i-2"),
                Map.entry("InstanceIds.member.3", "i-3"));
    }

    @Test
    void members_shouldChunkBy50_whenMoreIdsThanOneCallTakes() {
        // GIVEN
        List<String> ids = IntStream.rangeClosed(1, 120).mapToObj(i -> "i-" + i).toList();

        // WHEN
        autoScaling.members(ids);

        // THEN
        assertThat(stub.requests("DescribeAutoScalingInstances")).extracting(r -> r.params("InstanceIds.").size())
                .containsExactly(50, 50, 20);
    }

    @Test
    void members_shouldSendNothing_whenNoIds() {
        // GIVEN / WHEN
        Map<String, GroupMember> members = autoScaling.members(List.of());

        // THEN: an empty id list would describe every instance in the account
        assertThat(members).isEmpty();
        assertThat(stub.requests()).isEmpty();
    }

    @Test
    void members_shouldThrowThrottled_whenThrottlingOutlastsSdkRetries() {
        // GIVEN
        stub.throttle("DescribeAutoScalingInstances", 3);

        // WHEN
        Throwable thrown = catchThrowable(() -> autoScaling.members(List.of("i-1")));

        // THEN
        assertThat(thrown).isInstanceOf(CloudException.Throttled.class);
        assertThat(((CloudException) thrown).code()).isEqualTo("Throttling");
    }

    @Test
    void markUnhealthy_shouldSetUnhealthyIgnoringGracePeriod_whenCalled() {
        // GIVEN / WHEN
        autoScaling.markUnhealthy("i-0abc");

        // THEN
        Request request = stub.requests("SetInstanceHealth").get(0);
        assertThat(request.param("InstanceId")).isEqualTo("i-0abc");
        assertThat(request.param("HealthStatus")).isEqualTo("Unhealthy");
        assertThat(request.param("ShouldRespectGracePeriod")).isEqualTo("false");
    }

    @Test
    void markUnhealthy_shouldThrowThrottled_whenThrottlingOutlastsSdkRetries() {
        // GIVEN
        stub.throttle("SetInstanceHealth", 3);

        // WHEN / THEN
        assertThat(catchThrowable(() -> autoScaling.markUnhealthy("i-0abc")))
                .isInstanceOf(CloudException.Throttled.class);
    }

    @Test
    void ensureAzRebalanceSuspended_shouldSuspendOnlyAzRebalance_whenNotSuspendedYet() {
        // GIVEN: the stub's default group has no suspended process

        // WHEN
        boolean suspended = autoScaling.ensureAzRebalanceSuspended("zk-asg");

        // THEN
        assertThat(suspended).isTrue();
        assertThat(stub.requests("DescribeAutoScalingGroups").get(0).params("AutoScalingGroupNames."))
                .containsExactly(Map.entry("AutoScalingGroupNames.member.1", "zk-asg"));
        Request suspend = stub.requests("SuspendProcesses").get(0);
        assertThat(suspend.param("AutoScalingGroupName")).isEqualTo("zk-asg");
        assertThat(suspend.params("ScalingProcesses.")).containsExactly(
                Map.entry("ScalingProcesses.member.1", "AZRebalance"));
    }

    @Test
    void ensureAzRebalanceSuspended_shouldNotCallSuspend_whenAlreadySuspended() {
        // GIVEN
        stub.on("DescribeAutoScalingGroups", r -> AwsShapes.describeAutoScalingGroups(
                Map.of("zk-asg", List.of("HealthCheck", "AZRebalance"))));

        // WHEN
        boolean suspended = autoScaling.ensureAzRebalanceSuspended("zk-asg");

        // THEN
        assertThat(suspended).isFalse();
        assertThat(stub.count("DescribeAutoScalingGroups")).isEqualTo(1);
        assertThat(stub.count("SuspendProcesses")).isZero();
    }

    @Test
    void ensureAzRebalanceSuspended_shouldSuspend_whenOtherProcessesAreSuspended() {
        // GIVEN
        stub.on("DescribeAutoScalingGroups", r -> AwsShapes.describeAutoScalingGroups(
                Map.of("zk-asg", List.of("ReplaceUnhealthy"))));

        // WHEN / THEN
        assertThat(autoScaling.ensureAzRebalanceSuspended("zk-asg")).isTrue();
        assertThat(stub.count("SuspendProcesses")).isEqualTo(1);
    }

    @Test
    void ensureAzRebalanceSuspended_shouldThrowNotFound_whenGroupDoesNotExist() {
        // GIVEN: AWS answers an unknown group with an empty list
        stub.on("DescribeAutoScalingGroups", r -> AwsShapes.describeAutoScalingGroups(Map.of()));

        // WHEN
        Throwable thrown = catchThrowable(() -> autoScaling.ensureAzRebalanceSuspended("zk-asg"));

        // THEN
        assertThat(thrown).isInstanceOf(CloudException.NotFound.class);
        assertThat(stub.count("SuspendProcesses")).isZero();
    }

    @Test
    void groupMembers_shouldListTheGroupsInstancesWithTheirLifecycleStates() {
        // GIVEN
        stub.on("DescribeAutoScalingGroups", r -> AwsShapes.describeAutoScalingGroups(Map.of("zk-asg", List.of()),
                List.of(new GroupMember("i-1", "zk-asg", "Pending:Wait", "Healthy"),
                        new GroupMember("i-2", "zk-asg", "Terminating:Wait", "Unhealthy"))));

        // WHEN
        var members = autoScaling.groupMembers("zk-asg");

        // THEN
        assertThat(members).containsExactly(new GroupMember("i-1", "zk-asg", "Pending:Wait", "Healthy"),
                new GroupMember("i-2", "zk-asg", "Terminating:Wait", "Unhealthy"));
        assertThat(stub.requests("DescribeAutoScalingGroups").get(0).param("AutoScalingGroupNames.member.1"))
                .isEqualTo("zk-asg");
    }

    @Test
    void groupMembers_shouldBeEmpty_whenTheGroupDoesNotExist() {
        // GIVEN: AWS answers an unknown group name with an empty list
        stub.on("DescribeAutoScalingGroups", r -> AwsShapes.describeAutoScalingGroups(Map.of()));

        // WHEN / THEN
        assertThat(autoScaling.groupMembers("zk-asg")).isEmpty();
    }
}
