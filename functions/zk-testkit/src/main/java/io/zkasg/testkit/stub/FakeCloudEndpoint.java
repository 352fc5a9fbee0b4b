package io.zkasg.testkit.stub;

import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.model.LifecycleResult;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.ClusterTags;
import io.zkasg.testkit.FakeAutoScaling;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.FakeEc2;
import io.zkasg.testkit.FakeSsm;
import io.zkasg.testkit.stub.AwsStubServer.Request;
import io.zkasg.testkit.stub.AwsStubServer.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Serves a {@link FakeCloud}, or one of its per-service fakes, over the AWS wire protocols: the real SDK adapters,
 * pointed at this endpoint with {@code AWS_ENDPOINT_URL}, then run against the same rule-faithful fakes as the
 * in-memory tests. Requests are read the way AWS reads them (query-protocol form fields, JSON bodies); the fakes'
 * errors go back with their AWS codes.
 */
public final class FakeCloudEndpoint {

    private FakeCloudEndpoint() {
    }

    /** Programs {@code stub} to answer every operation the adapters use from {@code cloud}. */
    public static void serve(AwsStubServer stub, FakeCloud cloud, ClusterTags cluster) {
        serveEc2(stub, cloud.ec2(), cluster);
        serveAutoScaling(stub, cloud.autoScaling());
        serveSsm(stub, cloud.ssm());
    }

    /** Programs {@code stub} to answer the EC2 operations the adapter uses from {@code cloud}. */
    public static void serveEc2(AwsStubServer stub, FakeEc2 cloud, ClusterTags cluster) {
        on(stub, "DescribeInstances", r -> AwsShapes.describeInstances(
                cloud.describeInstance(r.param("InstanceId.1")).stream().toList()));
        on(stub, "DescribeNetworkInterfaces", r -> AwsShapes.describeNetworkInterfaces(cloud.clusterEnis(cluster),
                null));
        on(stub, "DescribeVolumes", r -> AwsShapes.describeVolumes(cloud.clusterVolumes(cluster,
                filter(r, "availability-zone").orElse("")), null));
        on(stub, "AttachNetworkInterface", r -> {
            cloud.attachEni(r.param("NetworkInterfaceId"), r.param("InstanceId"),
                    Integer.parseInt(r.param("DeviceIndex")));
            return AwsStubServer.ok(r);
        });
        on(stub, "AttachVolume", r -> {
            cloud.attachVolume(r.param("VolumeId"), r.param("InstanceId"), r.param("Device"));
            return AwsStubServer.ok(r);
        });
        on(stub, "ModifyNetworkInterfaceAttribute", r -> {
            cloud.keepEniOnTermination(r.param("NetworkInterfaceId"), r.param("Attachment.AttachmentId"));
            return AwsStubServer.ok(r);
        });
        on(stub, "DetachNetworkInterface", r -> {
            cloud.detachEni(r.param("AttachmentId"), "true".equals(r.param("Force")));
            return AwsStubServer.ok(r);
        });
        on(stub, "DetachVolume", r -> {
            cloud.detachVolume(r.param("VolumeId"), r.param("InstanceId"), "true".equals(r.param("Force")));
            return AwsStubServer.ok(r);
        });
        on(stub, "CreateTags", r -> {
            var tags = new LinkedHashMap<String, String>();
            for (int i = 1; r.param("Tag." + i + ".Key") != null; i++) {
                tags.put(r.param("Tag." + i + ".Key"), r.param("Tag." + i + ".Value"));
            }
            cloud.tagInstance(r.param("ResourceId.1"), tags);
            return AwsStubServer.ok(r);
        });
    }

    /** Programs {@code stub} to answer the Auto Scaling operations the adapter uses from {@code cloud}. */
    public static void serveAutoScaling(AwsStubServer stub, FakeAutoScaling cloud) {
        on(stub, "CompleteLifecycleAction", r -> {
            cloud.completeLifecycleAction(ref(r, cloud), LifecycleResult.valueOf(r.param("LifecycleActionResult")));
            return AwsStubServer.ok(r);
        });
        on(stub, "RecordLifecycleActionHeartbeat", r -> {
            cloud.recordHeartbeat(ref(r, cloud));
            return AwsStubServer.ok(r);
        });
        on(stub, "DescribeAutoScalingInstances", r -> {
            var ids = new ArrayList<String>();
            for (int i = 1; r.param("InstanceIds.member." + i) != null; i++) {
                ids.add(r.param("InstanceIds.member." + i));
            }
            return AwsShapes.describeAutoScalingInstances(List.copyOf(cloud.members(ids).values()), null);
        });
        on(stub, "SetInstanceHealth", r -> {
            cloud.markUnhealthy(r.param("InstanceId"));
            return AwsStubServer.ok(r);
        });
        on(stub, "TerminateInstanceInAutoScalingGroup", r -> {
            if ("false".equals(r.param("ShouldDecrementDesiredCapacity"))) {
                cloud.replaceInGroup(r.param("InstanceId"));
            } else {
                cloud.terminateInGroup(r.param("InstanceId"));
            }
            return AwsStubServer.ok(r);
        });
        on(stub, "DescribeAutoScalingGroups", r -> {
            var group = r.param("AutoScalingGroupNames.member.1");
            try {
                return AwsShapes.describeAutoScalingGroups(Map.of(group,
                        List.copyOf(cloud.describeSuspendedProcesses(group))), cloud.groupMembers(group));
            } catch (CloudException.NotFound e) {
                // AWS answers an unknown group name with an empty list, not an error.
                return AwsShapes.describeAutoScalingGroups(Map.of());
            }
        });
        on(stub, "SuspendProcesses", r -> {
            var processes = new ArrayList<String>();
            for (int i = 1; r.param("ScalingProcesses.member." + i) != null; i++) {
                processes.add(r.param("ScalingProcesses.member." + i));
            }
            cloud.suspendProcesses(r.param("AutoScalingGroupName"), processes);
            return AwsStubServer.ok(r);
        });
    }

    /** Programs {@code stub} to answer the SSM operations the adapter uses from {@code cloud}. */
    public static void serveSsm(AwsStubServer stub, FakeSsm cloud) {
        on(stub, "DescribeInstanceInformation", r -> {
            var id = firstFilterValue(r.json());
            var status = cloud.agentStatus(id);
            return AwsShapes.describeInstanceInformation(switch (status) {
                case ONLINE -> Map.of(id, "Online");
                case UNREACHABLE -> Map.of(id, "ConnectionLost");
                case NOT_REGISTERED -> Map.of();
            });
        });
        on(stub, "GetCommandInvocation", r -> {
            var body = r.json();
            var commandId = String.valueOf(body.get("CommandId"));
            var instanceId = String.valueOf(body.get("InstanceId"));
            return cloud.commandStatus(commandId, instanceId)
                    .map(status -> AwsShapes.getCommandInvocation(commandId, instanceId, status))
                    .orElseGet(() -> AwsStubServer.errorResponse(r.service(), "InvocationDoesNotExist", "", 400));
        });
        on(stub, "SendCommand", r -> {
            var body = r.json();
            var params = new LinkedHashMap<String, String>();
            ((Map<?, ?>) body.getOrDefault("Parameters", Map.of()))
                    .forEach((k, v) -> params.put(k.toString(), ((List<?>) v).get(0).toString()));
            var id = cloud.sendCommand(((List<?>) body.get("InstanceIds")).get(0).toString(),
                    body.get("DocumentName").toString(), params, String.valueOf(body.get("Comment")),
                    Duration.ofSeconds(((Number) body.getOrDefault("TimeoutSeconds", 600)).longValue()));
            return AwsShapes.sendCommand(r, id);
        });
    }

    private static void on(AwsStubServer stub, String operation, Function<Request, Response> handler) {
        stub.on(operation, r -> {
            try {
                return handler.apply(r);
            } catch (CloudException e) {
                int status = e instanceof CloudException.Throttled && r.service() == AwsStubServer.Service.EC2
                        ? 503 : 400;
                return AwsStubServer.errorResponse(r.service(), e.code(), e.getMessage(), status);
            }
        });
    }

    /** The action a request names: by instance id, or by its token alone (the adapter sends the token if known). */
    private static LifecycleRef ref(Request r, FakeAutoScaling cloud) {
        var token = r.param("LifecycleActionToken");
        var instanceId = r.param("InstanceId") != null ? r.param("InstanceId")
                : token == null ? "" : cloud.instanceOfToken(token).orElse("");
        return new LifecycleRef(r.param("AutoScalingGroupName"), r.param("LifecycleHookName"), instanceId, token);
    }

    private static Optional<String> filter(Request r, String name) {
        for (int i = 1; r.param("Filter." + i + ".Name") != null; i++) {
            if (name.equals(r.param("Filter." + i + ".Name"))) {
                return Optional.ofNullable(r.param("Filter." + i + ".Value.1"));
            }
        }
        return Optional.empty();
    }

    private static String firstFilterValue(Map<String, Object> body) {
        var filters = (List<?>) body.getOrDefault("Filters", body.getOrDefault("InstanceInformationFilterList",
                List.of()));
        for (var f : filters) {
            var values = (List<?>) ((Map<?, ?>) f).get(((Map<?, ?>) f).containsKey("Values") ? "Values" : "valueSet");
            if (values != null && !values.isEmpty()) {
                return values.get(0).toString();
            }
        }
        return "";
    }
}
