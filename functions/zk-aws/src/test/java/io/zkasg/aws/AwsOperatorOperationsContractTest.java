package io.zkasg.aws;

import static io.zkasg.testkit.stub.AwsStubServer.error;

import io.zkasg.core.model.VolumeView;
import io.zkasg.testkit.stub.AwsShapes;
import io.zkasg.testkit.stub.AwsStubServer.Request;
import io.zkasg.testkit.stub.AwsStubServer.Response;
import java.util.List;
import java.util.Map;

/**
 * The operator's operations against the HTTP stub answering as EC2 and Auto Scaling document it (query protocol, XML;
 * the documented response elements and error codes), one canned answer per case.
 */
class AwsOperatorOperationsContractTest extends OperatorOperationsContract {

    private static final String VOLUME = "vol-0aaaaaaaaaaaaaaa1";
    private static final String SNAPSHOT = "snap-0aaaaaaaaaaaaaaa1";
    private static final String INSTANCE = "i-0aaaaaaaaaaaaaaa1";
    private static final String START = "2026-11-25T12:00:00.000Z";

    @Override
    void nothing() {
        var stub = stubbed.stub;
        stub.on("DescribeSnapshots", error("InvalidSnapshot.NotFound",
                "The snapshot '" + UNKNOWN_SNAPSHOT + "' does not exist."));
        stub.on("CreateVolume", error("InvalidSnapshot.NotFound",
                "The snapshot '" + UNKNOWN_SNAPSHOT + "' does not exist."));
        stub.on("CreateTags", error("InvalidVolume.NotFound", "The volume '" + UNKNOWN_VOLUME + "' does not exist."));
        stub.on("TerminateInstanceInAutoScalingGroup", error("ValidationError",
                "Instance Id not found - No managed instance found for instance ID " + UNKNOWN_INSTANCE));
    }

    @Override
    Arranged slotVolume() {
        stubbed.stub.on("CreateSnapshot", r -> ec2(r, snapshot("pending")));
        stubbed.stub.on("DeleteTags", r -> ec2(r, "<return>true</return>"));
        stubbed.stub.on("DescribeVolumes", r -> AwsShapes.describeVolumes(List.of(new VolumeView(VOLUME, AZ,
                "available", Map.of("Name", CLUSTER + "-zk-1"), List.of())), null));
        return new Arranged(VOLUME, null, null);
    }

    @Override
    Arranged snapshotJustTaken() {
        stubbed.stub.on("DescribeSnapshots", r -> ec2(r, "<snapshotSet>"
                + (r.param("SnapshotId.1") == null ? "" : "<item>" + snapshot("pending") + "</item>")
                + "</snapshotSet>"));
        return new Arranged(VOLUME, SNAPSHOT, null);
    }

    @Override
    Arranged completedSnapshotAndInstance() {
        stubbed.stub.on("CreateVolume", r -> ec2(r, "<volumeId>vol-0bbbbbbbbbbbbbbb2</volumeId><size>20</size>"
                + "<snapshotId>" + r.param("SnapshotId") + "</snapshotId><availabilityZone>"
                + r.param("AvailabilityZone") + "</availabilityZone><status>creating</status><createTime>" + START
                + "</createTime><volumeType>gp3</volumeType><encrypted>true</encrypted>"));
        stubbed.stub.on("AttachVolume", error("InvalidVolume.ZoneMismatch", "The volume 'vol-0bbbbbbbbbbbbbbb2' is "
                + "not in the same availability zone as instance '" + INSTANCE + "'"));
        return new Arranged(VOLUME, SNAPSHOT, INSTANCE);
    }

    /** A snapshot's elements as CreateSnapshot answers them and DescribeSnapshots lists them. */
    private static String snapshot(String status) {
        return "<snapshotId>" + SNAPSHOT + "</snapshotId><volumeId>" + VOLUME + "</volumeId><status>" + status
                + "</status><startTime>" + START + "</startTime><progress></progress><ownerId>123456789012</ownerId>"
                + "<volumeSize>20</volumeSize><description></description><encrypted>true</encrypted>"
                + "<tagSet><item><key>" + CLUSTER_TAG + "</key><value>" + CLUSTER + "</value></item></tagSet>";
    }

    private static Response ec2(Request r, String result) {
        return new Response(200, "<" + r.operation() + "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                + "<requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>" + result + "</" + r.operation()
                + "Response>");
    }
}
