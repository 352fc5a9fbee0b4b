package io.zkasg.aws;

import io.zkasg.core.port.Ec2Port;
import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.FakeCloud;
import java.time.Duration;
import java.time.Instant;

/** The EC2 contract against the fake cloud: each case is arranged by seeding the fake. */
class FakeEc2ContractTest extends Ec2PortContract {

    final FakeClock clock = new FakeClock(Instant.parse("2026-11-25T12:00:00Z"));
    final FakeCloud cloud = new FakeCloud(clock).group("zk-demo-asg", "zk-demo-launch", "zk-demo-terminate",
            Duration.ofSeconds(900));

    /** The port under test, over {@link #cloud}. */
    Ec2Port port() {
        return cloud;
    }

    /** How many answers a fault must last to reach the port (1 in memory; the SDK's attempts over the wire). */
    int attempts() {
        return 1;
    }

    String slot(int nodeId, String az) {
        return cloud.addSlot(CLUSTER.clusterTagKey(), CLUSTER.clusterName(), CLUSTER.nodeIdTagKey(), nodeId, az,
                "10.0." + nodeId + ".10");
    }

    String lastVolume() {
        var ids = cloud.volumeIds();
        return ids.get(ids.size() - 1);
    }

    String running(String az) {
        var id = cloud.launch(az);
        cloud.tick();
        return id;
    }

    @Override
    Arranged eniAttachedElsewhere() {
        var eni = slot(1, AZ);
        cloud.attachEni(eni, running(AZ), 1);
        return new Arranged(port(), running(AZ), eni);
    }

    @Override
    Arranged volumeAttachedElsewhere() {
        slot(1, AZ);
        var volume = lastVolume();
        cloud.attachVolume(volume, running(AZ), "/dev/xvdf");
        return new Arranged(port(), running(AZ), volume);
    }

    @Override
    Arranged pendingInstanceAndFreeEni() {
        var eni = slot(1, AZ);
        cloud.boot(Duration.ofMinutes(5), Duration.ZERO);
        return new Arranged(port(), cloud.launch(AZ), eni);
    }

    @Override
    Arranged volumeInOtherZone() {
        slot(2, OTHER_AZ);
        return new Arranged(port(), running(AZ), lastVolume());
    }

    @Override
    Arranged unknownInstance() {
        return new Arranged(port(), "i-0123456789abcdef0", null);
    }

    @Override
    Arranged detachedAttachment() {
        var eni = slot(1, AZ);
        cloud.attachEni(eni, running(AZ), 1);
        var attachment = cloud.clusterEnis(CLUSTER).get(0).attachment().orElseThrow().attachmentId();
        cloud.detachEni(attachment, false);
        return new Arranged(port(), null, attachment);
    }

    @Override
    Arranged throttled(String operation) {
        var eni = slot(1, AZ);
        var instance = running(AZ);
        cloud.throttle(operation, attempts());
        return new Arranged(port(), instance, eni);
    }

    @Override
    Arranged lagging() {
        var eni = slot(1, AZ);
        var instance = running(AZ);
        cloud.staleReads(1);
        return new Arranged(port(), instance, eni);
    }
}
