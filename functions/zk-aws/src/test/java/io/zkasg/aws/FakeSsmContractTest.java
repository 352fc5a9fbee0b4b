package io.zkasg.aws;

import io.zkasg.core.port.SsmPort;
import io.zkasg.testkit.CloudState;
import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.FakeEc2;
import io.zkasg.testkit.FakeSsm;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;

/** The SSM contract against the SSM fake (over its own EC2): each case is arranged by seeding them. */
class FakeSsmContractTest extends SsmPortContract {

    final FakeClock clock = new FakeClock(Instant.parse("2026-11-25T12:00:00Z"));
    final CloudState state = new CloudState(clock);
    final FakeEc2 ec2 = new FakeEc2(state);
    final FakeSsm ssm = new FakeSsm(state, ec2);

    final Stubbed.Side<SsmPort> side = side(ssm);

    /** The side under test: {@link #ssm} itself; the wire test puts the adapter in front of it. */
    Stubbed.Side<SsmPort> side(FakeSsm fake) {
        return Stubbed.Side.memory(fake);
    }

    @AfterEach
    void close() throws Exception {
        side.close();
    }

    private String running() {
        var id = ec2.runInstance("us-east-1a");
        ec2.tick();
        return id;
    }

    @Override
    Arranged agentNotRegistered() {
        ssm.agentRegistration(Duration.ofMinutes(5));
        return new Arranged(side.port(), running());
    }

    @Override
    Arranged agentConnectionLost() {
        var id = running();
        ssm.agentLost(id);
        return new Arranged(side.port(), id);
    }

    @Override
    Arranged agentOnline() {
        return new Arranged(side.port(), running());
    }

    @Override
    Arranged agentJustRegistered() {
        ssm.listingLag(Duration.ofMinutes(2));
        var id = running();
        ssm.registerAgent(id);
        return new Arranged(side.port(), id);
    }

    @Override
    Arranged invocationsTrail() {
        ssm.invocationLag(Duration.ofSeconds(5));
        return new Arranged(side.port(), running());
    }

    @Override
    Arranged throttled(String operation) {
        var id = running();
        ssm.throttle(operation, side.attempts());
        return new Arranged(side.port(), id);
    }
}
