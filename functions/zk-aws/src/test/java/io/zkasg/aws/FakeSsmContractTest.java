package io.zkasg.aws;

import io.zkasg.core.port.SsmPort;
import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.FakeCloud;
import java.time.Duration;
import java.time.Instant;

/** The SSM contract against the fake cloud: each case is arranged by seeding the fake. */
class FakeSsmContractTest extends SsmPortContract {

    final FakeClock clock = new FakeClock(Instant.parse("2026-11-25T12:00:00Z"));
    final FakeCloud cloud = new FakeCloud(clock).group("zk-demo-asg", "zk-demo-launch", "zk-demo-terminate",
            Duration.ofSeconds(900));

    /** The port under test, over {@link #cloud}. */
    SsmPort port() {
        return cloud;
    }

    /** How many answers a fault must last to reach the port (1 in memory; the SDK's attempts over the wire). */
    int attempts() {
        return 1;
    }

    private String running() {
        var id = cloud.launch("us-east-1a");
        cloud.tick();
        return id;
    }

    @Override
    Arranged agentNotRegistered() {
        cloud.boot(Duration.ZERO, Duration.ofMinutes(5));
        return new Arranged(port(), running());
    }

    @Override
    Arranged agentConnectionLost() {
        var id = running();
        cloud.agentLost(id);
        return new Arranged(port(), id);
    }

    @Override
    Arranged agentOnline() {
        return new Arranged(port(), running());
    }

    @Override
    Arranged throttled(String operation) {
        var id = running();
        cloud.throttle(operation, attempts());
        return new Arranged(port(), id);
    }
}
