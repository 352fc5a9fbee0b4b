package io.zkasg.aws;

import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.ClusterTags;
import io.zkasg.testkit.CloudState;
import io.zkasg.testkit.FakeAutoScaling;
import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.FakeEc2;
import java.time.Duration;
import java.time.Instant;

/** The Auto Scaling contract against the Auto Scaling fake (over its own EC2): each case is arranged by
 * seeding it. */
class FakeAutoScalingContractTest extends AutoScalingPortContract {

    static final ClusterTags CLUSTER = Ec2PortContract.CLUSTER;

    final FakeClock clock = new FakeClock(Instant.parse("2026-11-25T12:00:00Z"));
    final CloudState state = new CloudState(clock);
    final FakeAutoScaling autoScaling = new FakeAutoScaling(state, new FakeEc2(state)).group(GROUP, LAUNCH_HOOK,
            "zk-demo-terminate", Duration.ofSeconds(900));

    /** The port under test, {@link #autoScaling}. */
    AutoScalingPort port() {
        return autoScaling;
    }

    /** How many answers a fault must last to reach the port (1 in memory; the SDK's attempts over the wire). */
    int attempts() {
        return 1;
    }

    @Override
    Arranged completedLaunch() {
        var a = new Arranged(port(), autoScaling.launch("us-east-1a"));
        autoScaling.completeLifecycleAction(a.launchAction(), LifecycleResult.CONTINUE);
        return a;
    }

    @Override
    Waiting waitingLaunch() {
        var event = autoScaling.launch("i-0aaaaaaaaaaaaaaa7", "us-east-1a", null, false);
        return new Waiting(port(), new LifecycleRef(GROUP, LAUNCH_HOOK, event.instanceId(), event.token()));
    }

    @Override
    Arranged unknownInstance() {
        return new Arranged(port(), "i-0123456789abcdef0");
    }

    @Override
    Arranged groupWithoutSuspendedProcesses() {
        return new Arranged(port(), null);
    }

    @Override
    Arranged throttled(String operation) {
        var a = new Arranged(port(), autoScaling.launch("us-east-1a"));
        autoScaling.throttle(operation, attempts());
        return a;
    }
}
