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
import org.junit.jupiter.api.AfterEach;

/** The Auto Scaling contract against the Auto Scaling fake (over its own EC2): each case is arranged by
 * seeding it. */
class FakeAutoScalingContractTest extends AutoScalingPortContract {

    static final ClusterTags CLUSTER = Ec2PortContract.CLUSTER;

    final FakeClock clock = new FakeClock(Instant.parse("2026-11-25T12:00:00Z"));
    final CloudState state = new CloudState(clock);
    final FakeAutoScaling autoScaling = new FakeAutoScaling(state, new FakeEc2(state)).group(GROUP, LAUNCH_HOOK,
            "zk-demo-terminate", Duration.ofSeconds(900));

    final Stubbed.Side<AutoScalingPort> side = side(autoScaling);

    /** The side under test: {@link #autoScaling} itself; the wire test puts the adapter in front of it. */
    Stubbed.Side<AutoScalingPort> side(FakeAutoScaling fake) {
        return Stubbed.Side.memory(fake);
    }

    @AfterEach
    void close() throws Exception {
        side.close();
    }

    @Override
    Arranged completedLaunch() {
        var a = new Arranged(side.port(), autoScaling.launch("us-east-1a"));
        autoScaling.completeLifecycleAction(a.launchAction(), LifecycleResult.CONTINUE);
        return a;
    }

    @Override
    Waiting waitingLaunch() {
        var event = autoScaling.launch("i-0aaaaaaaaaaaaaaa7", "us-east-1a", null, false);
        return new Waiting(side.port(), new LifecycleRef(GROUP, LAUNCH_HOOK, event.instanceId(), event.token()));
    }

    @Override
    Arranged unknownInstance() {
        return new Arranged(side.port(), "i-0123456789abcdef0");
    }

    @Override
    Arranged memberOfAGroupAtItsMinimumSize() {
        var a = completedLaunch();
        autoScaling.sizes(1, 1);
        return a;
    }

    @Override
    Arranged groupWithoutSuspendedProcesses() {
        return new Arranged(side.port(), null);
    }

    @Override
    Arranged launchJustCompleted() {
        var a = new Arranged(side.port(), autoScaling.launch("us-east-1a"));
        autoScaling.staleReads(1);
        autoScaling.completeLifecycleAction(a.launchAction(), LifecycleResult.CONTINUE);
        return a;
    }

    @Override
    Arranged justMarkedUnhealthy() {
        var a = new Arranged(side.port(), autoScaling.launch("us-east-1a"));
        autoScaling.completeLifecycleAction(a.launchAction(), LifecycleResult.CONTINUE);
        clock.advance(Duration.ofMinutes(1));
        autoScaling.staleReads(1);
        autoScaling.markUnhealthy(a.instanceId());
        return a;
    }

    @Override
    Arranged throttled(String operation) {
        var a = new Arranged(side.port(), autoScaling.launch("us-east-1a"));
        autoScaling.throttle(operation, side.attempts());
        return a;
    }
}
