package io.zkasg.testkit.stub;

import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.ClusterTags;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.stub.AwsStubServer.Request;
import io.zkasg.testkit.stub.AwsStubServer.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The EC2 and Auto Scaling operations an operator's AWS CLI uses beyond the functions' ones (scripts/ops/zk-restore:
 * snapshots, volumes from snapshots, tags of volumes, terminating a member), served from a {@link FakeCloud} in the
 * wire shapes of the EC2 query API (CreateSnapshot, DescribeSnapshots, CreateVolume, CreateTags and DeleteTags of the
 * EC2 API Reference) and of TerminateInstanceInAutoScalingGroup. Describes read EC2's {@code Filter.N} (tag:KEY and the
 * fields named per operation); a filter name they do not know matches everything.
 */
public final class OperatorEndpoint {

    private OperatorEndpoint() {
    }

    /** Adds the operator's operations to {@code stub}; after {@link FakeCloudEndpoint#serve}, they replace its ones. */
    public static void serve(AwsStubServer stub, FakeCloud cloud, ClusterTags cluster) {
        on(stub, "DescribeVolumes", r -> {
            var ids = indexed(r, "VolumeId.");
            return AwsShapes.describeVolumes(cloud.allVolumes().stream()
                    .filter(v -> ids.isEmpty() || ids.contains(v.volumeId()))
                    .filter(v -> filtersMatch(r, v.tags(), Map.of("availability-zone", v.availabilityZone())))
                    .toList(), null);
        });
        on(stub, "DescribeNetworkInterfaces", r -> AwsShapes.describeNetworkInterfaces(cloud.ec2().clusterEnis(cluster)
                .stream().filter(e -> filtersMatch(r, e.tags(), Map.of())).toList(), null));
        on(stub, "CreateSnapshot", r -> {
            var tags = tagSpecification(r);
            var id = cloud.snapshotVolume(r.param("VolumeId"), tags);
            var snapshot = cloud.snapshots().stream().filter(s -> s.snapshotId().equals(id)).findFirst()
                    .orElseThrow();
            // EBS: creation is asynchronous; CreateSnapshot answers the snapshot pending, whatever comes next.
            return ec2(r, snapshotFields(snapshot, "pending"));
        });
        on(stub, "DescribeSnapshots", r -> {
            var ids = indexed(r, "SnapshotId.");
            var items = new StringBuilder();
            for (var s : cloud.snapshots()) {
                var status = cloud.ec2().snapshotState(s.snapshotId());
                if ((ids.isEmpty() || ids.contains(s.snapshotId()))
                        && filtersMatch(r, s.tags(), Map.of("status", status, "volume-id", s.volumeId()))) {
                    items.append("<item>").append(snapshotFields(s, status)).append("</item>");
                }
            }
            if (!ids.isEmpty() && items.isEmpty()) {
                return AwsStubServer.errorResponse(r.service(), "InvalidSnapshot.NotFound",
                        "The snapshot '" + ids.get(0) + "' does not exist.", 400);
            }
            return ec2(r, "<snapshotSet>" + items + "</snapshotSet>");
        });
        on(stub, "CreateVolume", r -> {
            var id = cloud.createVolume(r.param("SnapshotId"), r.param("AvailabilityZone"), tagSpecification(r));
            return ec2(r, "<volumeId>" + id + "</volumeId><size>20</size><snapshotId>" + r.param("SnapshotId")
                    + "</snapshotId><availabilityZone>" + r.param("AvailabilityZone") + "</availabilityZone>"
                    + "<status>creating</status><createTime>" + Instant.now() + "</createTime>"
                    + "<volumeType>gp3</volumeType><encrypted>true</encrypted>");
        });
        on(stub, "CreateTags", r -> {
            var resource = r.param("ResourceId.1");
            var tags = new LinkedHashMap<String, String>();
            for (int i = 1; r.param("Tag." + i + ".Key") != null; i++) {
                tags.put(r.param("Tag." + i + ".Key"), r.param("Tag." + i + ".Value"));
            }
            if (resource.startsWith("vol-")) {
                cloud.retagVolume(resource, tags, List.of());
            } else {
                cloud.ec2().tagInstance(resource, tags);
            }
            return ec2(r, "<return>true</return>");
        });
        on(stub, "DeleteTags", r -> {
            var keys = new ArrayList<String>();
            for (int i = 1; r.param("Tag." + i + ".Key") != null; i++) {
                keys.add(r.param("Tag." + i + ".Key"));
            }
            cloud.retagVolume(r.param("ResourceId.1"), Map.of(), keys);
            return ec2(r, "<return>true</return>");
        });
        on(stub, "TerminateInstanceInAutoScalingGroup", r -> {
            var lifecycle = cloud.lifecycleState(r.param("InstanceId"));
            if (List.of("Unknown", "Terminated", "Detached").contains(lifecycle)) {
                // Auto Scaling: an instance in no group is refused with the common ValidationError.
                return AwsStubServer.errorResponse(r.service(), "ValidationError",
                        "Instance Id not found - No managed instance found for instance ID " + r.param("InstanceId"),
                        400);
            }
            cloud.terminate(r.param("InstanceId"));
            return new Response(200, "<TerminateInstanceInAutoScalingGroupResponse xmlns=\"http://autoscaling"
                    + ".amazonaws.com/doc/2011-01-01/\"><TerminateInstanceInAutoScalingGroupResult><Activity>"
                    + "<ActivityId>a-1</ActivityId><AutoScalingGroupName>zk-demo-asg</AutoScalingGroupName>"
                    + "<Cause>operator</Cause><StartTime>" + Instant.now() + "</StartTime><StatusCode>InProgress"
                    + "</StatusCode><Progress>0</Progress></Activity></TerminateInstanceInAutoScalingGroupResult>"
                    + "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>"
                    + "</TerminateInstanceInAutoScalingGroupResponse>");
        });
    }

    private static void on(AwsStubServer stub, String operation, Function<Request, Response> handler) {
        stub.on(operation, r -> {
            try {
                return handler.apply(r);
            } catch (CloudException e) {
                return AwsStubServer.errorResponse(r.service(), e.code(), e.getMessage(), 400);
            }
        });
    }

    /** A snapshot's fields as DescribeSnapshots and CreateSnapshot show them, in {@code status}. */
    private static String snapshotFields(io.zkasg.testkit.CloudState.EbsSnapshot s, String status) {
        return "<snapshotId>" + s.snapshotId() + "</snapshotId><volumeId>" + s.volumeId() + "</volumeId>"
                + "<status>" + status + "</status><startTime>" + s.startTime() + "</startTime><progress>"
                + ("completed".equals(status) ? "100%" : "0%") + "</progress>"
                + "<ownerId>123456789012</ownerId><volumeSize>20</volumeSize><encrypted>true</encrypted>"
                + "<tagSet>" + tags(s.tags()) + "</tagSet>";
    }

    /** The tags of the request's first TagSpecification (CreateVolume, CreateSnapshot). */
    private static Map<String, String> tagSpecification(Request r) {
        var tags = new LinkedHashMap<String, String>();
        for (int i = 1; r.param("TagSpecification.1.Tag." + i + ".Key") != null; i++) {
            tags.put(r.param("TagSpecification.1.Tag." + i + ".Key"),
                    r.param("TagSpecification.1.Tag." + i + ".Value"));
        }
        return tags;
    }

    private static Response ec2(Request r, String result) {
        return new Response(200, "<" + r.operation() + "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                + "<requestId>r-1</requestId>" + result + "</" + r.operation() + "Response>");
    }

    private static String tags(Map<String, String> tags) {
        return tags.entrySet().stream().map(t -> "<item><key>" + AwsStubServer.xml(t.getKey()) + "</key><value>"
                + AwsStubServer.xml(t.getValue()) + "</value></item>").collect(Collectors.joining());
    }

    private static List<String> indexed(Request r, String prefix) {
        var out = new ArrayList<String>();
        for (int i = 1; r.param(prefix + i) != null; i++) {
            out.add(r.param(prefix + i));
        }
        return out;
    }

    /** EC2's Filter.N: tag:KEY against the tags, other names against {@code fields}; unknown names match all. */
    private static boolean filtersMatch(Request r, Map<String, String> tags, Map<String, String> fields) {
        for (int i = 1; r.param("Filter." + i + ".Name") != null; i++) {
            var name = r.param("Filter." + i + ".Name");
            var values = indexed(r, "Filter." + i + ".Value.");
            String actual;
            if (name.startsWith("tag:")) {
                actual = tags.get(name.substring(4));
            } else if (fields.containsKey(name)) {
                actual = fields.get(name);
            } else {
                continue;
            }
            if (actual == null || !values.contains(actual)) {
                return false;
            }
        }
        return true;
    }
}
