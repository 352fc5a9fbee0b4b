package io.zkasg.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.CloudException;
import io.zkasg.testkit.FakeAutoScaling;
import io.zkasg.testkit.stub.FakeCloudEndpoint;
import org.junit.jupiter.api.Test;

/**
 * The Auto Scaling contract against the real adapter and SDK over the AWS wire protocol, its fake answering
 * behind the HTTP stub: the adapter maps the wire and the fake's rules reach through it. What AWS itself answers is
 * pinned by {@link AwsAutoScalingContractTest}.
 */
class WireAutoScalingContractTest extends FakeAutoScalingContractTest {

    @Override
    Stubbed.Side<AutoScalingPort> side(FakeAutoScaling fake) {
        return Stubbed.Side.wire(stub -> FakeCloudEndpoint.serveAutoScaling(stub, fake),
                c -> new AwsAutoScaling(c.autoScaling()));
    }

    @Test
    void recordHeartbeat_shouldFindTheAction_whenTheCallNamesItByItsTokenAlone() {
        // Auto Scaling: a heartbeat names its action by the token or by the instance id (HOOKS); the adapter sends
        // the token alone when it has one, so the fake's endpoint must find the action from the token.
        var event = autoScaling.launch("i-0123456789abcdef0", "us-east-1a", null, true);

        side.port().recordHeartbeat(new LifecycleRef(GROUP, LAUNCH_HOOK, event.instanceId(), event.token()));
        var unknown = catchThrowable(() -> side.port().recordHeartbeat(new LifecycleRef(GROUP, LAUNCH_HOOK,
                event.instanceId(), "00000000-0000-4000-8000-000000000000")));

        assertThat(autoScaling.lifecycleState(event.instanceId())).isEqualTo("Pending:Wait");
        assertThat(unknown).isInstanceOf(CloudException.NoActiveLifecycleAction.class);
    }

    @Test
    void terminateInGroup_shouldBeginTheTerminateHook_ofAnInstanceInService() {
        // Auto Scaling: the instance goes through Terminating:Wait when the group has a terminate hook
        // (TERMINATE_IN_GROUP, HOOK_STATES), and the group does not replace it (ShouldDecrementDesiredCapacity).
        var event = autoScaling.launch("i-0123456789abcdef0", "us-east-1a", null, true);
        autoScaling.completeLifecycleAction(new LifecycleRef(GROUP, LAUNCH_HOOK, event.instanceId(), event.token()),
                io.zkasg.core.model.LifecycleResult.CONTINUE);

        side.port().terminateInGroup(event.instanceId());

        assertThat(autoScaling.lifecycleState(event.instanceId())).isEqualTo("Terminating:Wait");
        assertThat(autoScaling.terminatedInGroup()).containsExactly(event.instanceId());
    }
}
