package io.zkasg.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.autoscaling.model.TerminateInstanceInAutoScalingGroupRequest;
import software.amazon.awssdk.services.ec2.model.AttachVolumeRequest;
import software.amazon.awssdk.services.ec2.model.CreateSnapshotRequest;
import software.amazon.awssdk.services.ec2.model.CreateTagsRequest;
import software.amazon.awssdk.services.ec2.model.CreateVolumeRequest;
import software.amazon.awssdk.services.ec2.model.DeleteTagsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeSnapshotsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeVolumesRequest;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Snapshot;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * The EC2 and Auto Scaling operations an operator's restore makes with the AWS CLI (scripts/ops/zk-restore:
 * CreateSnapshot, DescribeSnapshots, CreateVolume from a snapshot, CreateTags and DeleteTags on volumes,
 * TerminateInstanceInAutoScalingGroup), called through the SDK over the same wire protocol the CLI speaks, against
 * the fake cloud behind the HTTP stub ({@link FakeOperatorOperationsContractTest}) and against the stub answering as
 * AWS documents ({@link AwsOperatorOperationsContractTest}). Each case names the behaviour it pins and where AWS
 * documents it.
 */
abstract class OperatorOperationsContract {

    static final String EC2_ERRORS = Ec2PortContract.EC2_ERRORS;
    static final String SNAPSHOT_CREATION =
            "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-creating-snapshot.html";
    static final String CREATE_VOLUME = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolume.html";
    static final String DESCRIBE_SNAPSHOTS =
            "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html";
    static final String DELETE_TAGS = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteTags.html";
    static final String TERMINATE_IN_GROUP =
            "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_TerminateInstanceInAutoScalingGroup.html";
    static final String AS_COMMON_ERRORS = AutoScalingPortContract.COMMON_ERRORS;
    static final String CLUSTER_TAG = "zkasg:cluster";
    static final String NODE_TAG = "zkasg:node-id";
    static final String CLUSTER = "zk-demo";
    static final String AZ = "us-east-1a";
    static final String OTHER_AZ = "us-east-1b";
    static final String UNKNOWN_SNAPSHOT = "snap-0123456789abcdef0";
    static final String UNKNOWN_VOLUME = "vol-0123456789abcdef0";
    static final String UNKNOWN_INSTANCE = "i-0123456789abcdef0";

    /** Real SDK clients against the stub of one case. */
    final Stubbed stubbed = new Stubbed();

    @AfterEach
    void closeStub() {
        stubbed.close();
    }

    /** What one case acts on (null: not used by the case). */
    record Arranged(String volumeId, String snapshotId, String instanceId) {
    }

    /** Nothing of the cluster exists; the clients answer for the unknown ids above. */
    abstract void nothing();

    /** A slot volume of node 1 of {@link #CLUSTER} in {@link #AZ}, tagged with the cluster and its node id. */
    abstract Arranged slotVolume();

    /** A snapshot of node 1's volume taken a moment ago, still pending. */
    abstract Arranged snapshotJustTaken();

    /** A completed snapshot of node 1's volume, and a running instance in {@link #AZ}. */
    abstract Arranged completedSnapshotAndInstance();

    @Test
    void createSnapshot_shouldAnswerThePendingSnapshot() {
        // EBS: snapshot creation is asynchronous; the snapshot exists at once but stays pending until its data is
        // stored (SNAPSHOT_CREATION). Whoever takes one must wait for completed before restoring from it.
        var a = slotVolume();
        var snapshot = stubbed.clients.ec2().createSnapshot(CreateSnapshotRequest.builder().volumeId(a.volumeId())
                .build());
        assertThat(snapshot.snapshotId()).startsWith("snap-");
        assertThat(snapshot.volumeId()).isEqualTo(a.volumeId());
        assertThat(snapshot.stateAsString()).isEqualTo("pending");
    }

    @Test
    void describeSnapshots_shouldLeaveOutAPendingSnapshot_whenFilteredOnStatusCompleted() {
        // EC2: DescribeSnapshots filters on status (pending | completed | error) (DESCRIBE_SNAPSHOTS): the restore
        // picks the newest snapshot among the completed ones only, and a pending one reads as pending by its id.
        var a = snapshotJustTaken();
        var completed = stubbed.clients.ec2().describeSnapshots(DescribeSnapshotsRequest.builder()
                .filters(tagFilter(CLUSTER_TAG, CLUSTER), Filter.builder().name("status").values("completed").build())
                .build()).snapshots();
        var byId = stubbed.clients.ec2().describeSnapshots(DescribeSnapshotsRequest.builder()
                .snapshotIds(a.snapshotId()).build()).snapshots();
        assertThat(completed).extracting(Snapshot::snapshotId).doesNotContain(a.snapshotId());
        assertThat(byId).singleElement().satisfies(s -> assertThat(s.stateAsString()).isEqualTo("pending"));
    }

    @Test
    void describeSnapshots_shouldBeInvalidSnapshotNotFound_forAnUnknownId() {
        // EC2: DescribeSnapshots by an id that does not exist fails with InvalidSnapshot.NotFound (EC2_ERRORS), not
        // an empty list: the restore reports "snapshot not found" from the failure.
        nothing();
        assertError(() -> stubbed.clients.ec2().describeSnapshots(DescribeSnapshotsRequest.builder()
                .snapshotIds(UNKNOWN_SNAPSHOT).build()), "InvalidSnapshot.NotFound");
    }

    @Test
    void createVolume_shouldBeInvalidSnapshotNotFound_forAnUnknownSnapshot() {
        // EC2: CreateVolume from a snapshot id that does not exist fails with InvalidSnapshot.NotFound (EC2_ERRORS,
        // CREATE_VOLUME): no volume is made.
        nothing();
        assertError(() -> stubbed.clients.ec2().createVolume(CreateVolumeRequest.builder()
                .snapshotId(UNKNOWN_SNAPSHOT).availabilityZone(AZ).volumeType("gp3").build()),
                "InvalidSnapshot.NotFound");
    }

    @Test
    void createVolume_fromASnapshot_shouldBeCreatingInTheRequestedZone_andNotAttachToAnInstanceOfAnother() {
        // EC2: CreateVolume answers the new volume in state creating, in the Availability Zone asked for, with the
        // snapshot it was made from (CREATE_VOLUME); the restore waits for available. A volume is bound to its AZ:
        // attaching it to an instance of another AZ fails with InvalidVolume.ZoneMismatch (EC2_ERRORS), so the
        // restore makes the volume in the slot's AZ, never where the operator happens to be.
        var a = completedSnapshotAndInstance();
        var volume = stubbed.clients.ec2().createVolume(CreateVolumeRequest.builder().snapshotId(a.snapshotId())
                .availabilityZone(OTHER_AZ).volumeType("gp3").build());
        assertThat(volume.stateAsString()).isEqualTo("creating");
        assertThat(volume.availabilityZone()).isEqualTo(OTHER_AZ);
        assertThat(volume.snapshotId()).isEqualTo(a.snapshotId());
        assertError(() -> stubbed.clients.ec2().attachVolume(AttachVolumeRequest.builder().volumeId(volume.volumeId())
                .instanceId(a.instanceId()).device("/dev/xvdf").build()), "InvalidVolume.ZoneMismatch");
    }

    @Test
    void deleteTags_withKeysAlone_shouldDeleteThoseTags_whateverTheirValues() {
        // EC2: DeleteTags with a key and no value deletes the tag whatever its value (DELETE_TAGS): the restore takes
        // the slot's tags off the old volume without reading them first, so two volumes never claim one slot.
        var a = slotVolume();
        stubbed.clients.ec2().deleteTags(DeleteTagsRequest.builder().resources(a.volumeId())
                .tags(Tag.builder().key(CLUSTER_TAG).build(), Tag.builder().key(NODE_TAG).build()).build());
        var left = stubbed.clients.ec2().describeVolumes(DescribeVolumesRequest.builder().volumeIds(a.volumeId())
                .build()).volumes();
        assertThat(left).singleElement().satisfies(v -> assertThat(v.tags()).extracting(Tag::key)
                .doesNotContain(CLUSTER_TAG, NODE_TAG));
    }

    @Test
    void createTags_shouldBeInvalidVolumeNotFound_forAVolumeEc2DoesNotKnow() {
        // EC2: CreateTags on a volume id that does not exist (or not yet: right after CreateVolume, by eventual
        // consistency) fails with InvalidVolume.NotFound (EC2_ERRORS): the restore stops there with a clear error
        // instead of leaving a slot without its tags.
        nothing();
        assertError(() -> stubbed.clients.ec2().createTags(CreateTagsRequest.builder().resources(UNKNOWN_VOLUME)
                .tags(Tag.builder().key(CLUSTER_TAG).value(CLUSTER).build()).build()), "InvalidVolume.NotFound");
    }

    @Test
    void terminateInstanceInAutoScalingGroup_shouldBeValidationError_forAnInstanceInNoGroup() {
        // Auto Scaling: TerminateInstanceInAutoScalingGroup acts on an instance of a group (TERMINATE_IN_GROUP); any
        // other id gets the common ValidationError (AS_COMMON_ERRORS), not a silent success: a restore whose holder
        // left the group in the meantime must not believe it replaced it.
        nothing();
        assertError(() -> stubbed.clients.autoScaling().terminateInstanceInAutoScalingGroup(
                TerminateInstanceInAutoScalingGroupRequest.builder().instanceId(UNKNOWN_INSTANCE)
                        .shouldDecrementDesiredCapacity(false).build()), "ValidationError");
    }

    static Filter tagFilter(String key, String value) {
        return Filter.builder().name("tag:" + key).values(List.of(value)).build();
    }

    private static void assertError(Runnable call, String code) {
        var thrown = catchThrowableOfType(call::run, AwsServiceException.class);
        assertThat(thrown).as("the call fails with " + code).isNotNull();
        assertThat(thrown.awsErrorDetails().errorCode()).isEqualTo(code);
    }
}
