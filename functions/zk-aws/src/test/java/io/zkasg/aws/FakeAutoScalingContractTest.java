package io.zkasg.aws;

import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.ClusterTags;
import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.FakeCloud;
import java.time.Duration;
import java.time.Instant;

/** The Auto Scaling contract against the fake cloud: each case is arranged by seeding the fake. */
class FakeAutoScalingContractTest extends AutoScalingPortContract {

    static final ClusterTags CLUSTER = Ec2PortContract.CLUSTER;

    final FakeClock clock = new FakeClock(Instant.parse("2026-11-25T12:00:00Z"));
    final FakeCloud cloud = new FakeCloud(clock).group(GROUP, LAUNCH_HOOK, "zk-demo-terminate",
            Duration.ofSeconds(900));

    /** The port under test, over {@link #cloud}. */
    AutoScalingPort port() {
        return cloud;
    }

    /** How many answers a fault must last to reach the port (1 in memory; the SDK's attempts over the wire). */
    int attempts() {
        return 1;
    }

    @Override
    Arranged completedLaunch() {
        var a = new Arranged(port(), cloud.launch("us-east-1a"));
        cloud.completeLifecycleAction(a.launchAction(), LifecycleResult.CONTINUE);
        return a;
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
        var a = new Arranged(port(), cloud.launch("us-east-1a"));
        cloud.throttle(operation, attempts());
        return a;
    }
}
