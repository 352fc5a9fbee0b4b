package io.zkasg.aws;

import io.zkasg.core.port.Ec2Port;
import io.zkasg.testkit.CloudState;
import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.FakeEc2;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;

/** The EC2 contract against the EC2 fake alone: each case is arranged by seeding it. */
class FakeEc2ContractTest extends Ec2PortContract {

    final FakeClock clock = new FakeClock(Instant.parse("2026-11-25T12:00:00Z"));
    final FakeEc2 ec2 = new FakeEc2(new CloudState(clock));

    final Stubbed.Side<Ec2Port> side = side(ec2);

    /** The side under test: {@link #ec2} itself; the wire test puts the adapter in front of it. */
    Stubbed.Side<Ec2Port> side(FakeEc2 fake) {
        return Stubbed.Side.memory(fake);
    }

    @AfterEach
    void close() throws Exception {
        side.close();
    }

    String slot(int nodeId, String az) {
        return ec2.addSlot(CLUSTER.clusterTagKey(), CLUSTER.clusterName(), CLUSTER.nodeIdTagKey(), nodeId, az,
                "10.0." + nodeId + ".10");
    }

    String lastVolume() {
        var ids = ec2.volumeIds();
        return ids.get(ids.size() - 1);
    }

    String running(String az) {
        var id = ec2.runInstance(az);
        ec2.tick();
        return id;
    }

    @Override
    Arranged eniAttachedElsewhere() {
        var eni = slot(1, AZ);
        ec2.attachEni(eni, running(AZ), 1);
        return new Arranged(side.port(), running(AZ), eni);
    }

    @Override
    Arranged volumeAttachedElsewhere() {
        slot(1, AZ);
        var volume = lastVolume();
        ec2.attachVolume(volume, running(AZ), "/dev/xvdf");
        return new Arranged(side.port(), running(AZ), volume);
    }

    @Override
    Arranged pendingInstanceAndFreeEni() {
        var eni = slot(1, AZ);
        ec2.bootDelay(Duration.ofMinutes(5));
        return new Arranged(side.port(), ec2.runInstance(AZ), eni);
    }

    @Override
    Arranged volumeInOtherZone() {
        slot(2, OTHER_AZ);
        return new Arranged(side.port(), running(AZ), lastVolume());
    }

    @Override
    Arranged unknownInstance() {
        return new Arranged(side.port(), "i-0123456789abcdef0", null);
    }

    @Override
    Arranged detachedAttachment() {
        var eni = slot(1, AZ);
        ec2.attachEni(eni, running(AZ), 1);
        var attachment = ec2.clusterEnis(CLUSTER).get(0).attachment().orElseThrow().attachmentId();
        ec2.detachEni(attachment, false);
        return new Arranged(side.port(), null, attachment);
    }

    @Override
    Arranged throttled(String operation) {
        var eni = slot(1, AZ);
        var instance = running(AZ);
        ec2.throttle(operation, side.attempts());
        return new Arranged(side.port(), instance, eni);
    }

    @Override
    Arranged lagging() {
        var eni = slot(1, AZ);
        var instance = running(AZ);
        ec2.staleReads(1);
        return new Arranged(side.port(), instance, eni);
    }
}
