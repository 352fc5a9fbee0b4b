package io.zkasg.aws;

import static io.zkasg.testkit.stub.AwsStubServer.error;
import static io.zkasg.testkit.stub.AwsStubServer.reply;

import io.zkasg.core.model.GroupMember;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.testkit.stub.AwsShapes;
import io.zkasg.testkit.stub.AwsStubServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

/**
 * The Auto Scaling contract against the real adapter and SDK, the HTTP stub answering as Auto Scaling does (query
 * protocol, XML; the documented shapes and the error codes and messages AWS sends), one canned answer per case.
 */
class AwsAutoScalingContractTest extends AutoScalingPortContract {

    private static final String INSTANCE = "i-0123456789abcdef0";

    private final Stubbed stubbed = new Stubbed();
    private final AwsAutoScaling autoScaling = new AwsAutoScaling(stubbed.clients.autoScaling());

    @AfterEach
    void close() {
        stubbed.close();
    }

    @Override
    Arranged completedLaunch() {
        var over = error("ValidationError", "No active Lifecycle Action found with instance ID " + INSTANCE);
        stubbed.stub.enqueue("CompleteLifecycleAction", over);
        stubbed.stub.enqueue("RecordLifecycleActionHeartbeat", over);
        return new Arranged(autoScaling, INSTANCE);
    }

    @Override
    Waiting waitingLaunch() {
        // The first completion answers the documented empty CompleteLifecycleActionResult, the second the refusal.
        stubbed.stub.enqueue("CompleteLifecycleAction", AwsStubServer::ok, error("ValidationError",
                "No active Lifecycle Action found with instance ID " + INSTANCE));
        return new Waiting(autoScaling, new LifecycleRef(GROUP, LAUNCH_HOOK, INSTANCE,
                "3b6b3c1e-6c1a-4f7e-9a55-1f0c2d4e5f60"));
    }

    @Override
    Arranged unknownInstance() {
        // DescribeAutoScalingInstances: the default answer, no AutoScalingInstances member.
        stubbed.stub.enqueue("SetInstanceHealth", error("ValidationError",
                "Instance Id not found - No managed instance found for instance ID " + INSTANCE));
        stubbed.stub.enqueue("TerminateInstanceInAutoScalingGroup", error("ValidationError",
                "Instance Id not found - No managed instance found for instance ID " + INSTANCE));
        return new Arranged(autoScaling, INSTANCE);
    }

    @Override
    Arranged memberOfAGroupAtItsMinimumSize() {
        stubbed.stub.enqueue("TerminateInstanceInAutoScalingGroup", error("ValidationError", "Currently, desiredSize "
                + "equals minSize (3). Terminating instance without replacement will violate group's min size "
                + "constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size."),
                AwsStubServer::ok);
        return new Arranged(autoScaling, INSTANCE);
    }

    @Override
    Arranged groupWithoutSuspendedProcesses() {
        stubbed.stub.enqueue("DescribeAutoScalingGroups",
                reply(AwsShapes.describeAutoScalingGroups(Map.of(GROUP, List.of()))),
                reply(AwsShapes.describeAutoScalingGroups(Map.of(GROUP, List.of("AZRebalance")))));
        return new Arranged(autoScaling, null);
    }

    @Override
    Arranged launchJustCompleted() {
        // What Auto Scaling documents right after a completion: Pending:Proceed, on the way to InService.
        answerMember("Pending:Proceed", "HEALTHY");
        return new Arranged(autoScaling, INSTANCE);
    }

    @Override
    Arranged justMarkedUnhealthy() {
        answerMember("InService", "UNHEALTHY");
        return new Arranged(autoScaling, INSTANCE);
    }

    private void answerMember(String lifecycleState, String health) {
        var member = new GroupMember(INSTANCE, GROUP, lifecycleState, health);
        stubbed.stub.on("DescribeAutoScalingInstances",
                r -> AwsShapes.describeAutoScalingInstances(List.of(member), null));
        stubbed.stub.on("DescribeAutoScalingGroups",
                r -> AwsShapes.describeAutoScalingGroups(Map.of(GROUP, List.of()), List.of(member)));
    }

    @Override
    Arranged throttled(String operation) {
        stubbed.stub.throttle(operation, Stubbed.SDK_ATTEMPTS);
        return new Arranged(autoScaling, INSTANCE);
    }
}
