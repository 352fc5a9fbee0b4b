package io.zkasg.aws;

import io.zkasg.core.port.ClusterTags;
import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.stub.FakeCloudEndpoint;
import io.zkasg.testkit.stub.OperatorEndpoint;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;

/**
 * The operator's operations against the fake cloud, served over the wire as the restore's AWS CLI reaches it
 * ({@link FakeCloudEndpoint} and {@link OperatorEndpoint}): each case is arranged by seeding the fake.
 */
class FakeOperatorOperationsContractTest extends OperatorOperationsContract {

    final FakeClock clock = new FakeClock(Instant.parse("2026-11-25T12:00:00Z"));
    final FakeCloud cloud = new FakeCloud(clock);
    final ClusterTags cluster = new ClusterTags(CLUSTER_TAG, CLUSTER, NODE_TAG, "");

    @BeforeEach
    void serve() {
        FakeCloudEndpoint.serve(stubbed.stub, cloud, cluster);
        OperatorEndpoint.serve(stubbed.stub, cloud, cluster);
    }

    @Override
    void nothing() {
    }

    @Override
    Arranged slotVolume() {
        cloud.addSlot(CLUSTER_TAG, CLUSTER, NODE_TAG, 1, AZ, "10.0.1.10");
        var volumes = cloud.volumeIds();
        return new Arranged(volumes.get(volumes.size() - 1), null, null);
    }

    @Override
    Arranged snapshotJustTaken() {
        var volume = slotVolume().volumeId();
        cloud.ec2().snapshotCompletion(Duration.ofMinutes(10));
        return new Arranged(volume, cloud.snapshotVolume(volume), null);
    }

    @Override
    Arranged completedSnapshotAndInstance() {
        var volume = slotVolume().volumeId();
        var snapshot = cloud.snapshotVolume(volume);
        var instance = cloud.ec2().runInstance(AZ);
        cloud.ec2().tick();
        return new Arranged(volume, snapshot, instance);
    }
}
