package io.zkasg.aws;

import io.zkasg.core.port.SsmPort;
import io.zkasg.testkit.CloudState;
import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.FakeEc2;
import io.zkasg.testkit.FakeSsm;
import java.time.Duration;
import java.time.Instant;

/** The SSM contract against the SSM fake (over its own EC2): each case is arranged by seeding them. */
class FakeSsmContractTest extends SsmPortContract {

    final FakeClock clock = new FakeClock(Instant.parse("2026-11-25T12:00:00Z"));
    final CloudState state = new CloudState(clock);
    final FakeEc2 ec2 = new FakeEc2(state);
    final FakeSsm ssm = new FakeSsm(state, ec2);

    /** The port under test, {@link #ssm}. */
    SsmPort port() {
        return ssm;
    }

    /** How many answers a fault must last to reach the port (1 in memory; the SDK's attempts over the wire). */
    int attempts() {
        return 1;
    }

    private String running() {
        var id = ec2.runInstance("us-east-1a");
        ec2.tick();
        return id;
    }

    @Override
    Arranged agentNotRegistered() {
        ssm.agentRegistration(Duration.ofMinutes(5));
        return new Arranged(port(), running());
    }

    @Override
    Arranged agentConnectionLost() {
        var id = running();
        ssm.agentLost(id);
        return new Arranged(port(), id);
    }

    @Override
    Arranged agentOnline() {
        return new Arranged(port(), running());
    }

    @Override
    Arranged throttled(String operation) {
        var id = running();
        ssm.throttle(operation, attempts());
        return new Arranged(port(), id);
    }
}
