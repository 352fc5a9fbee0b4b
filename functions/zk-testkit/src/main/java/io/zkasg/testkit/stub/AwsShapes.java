package io.zkasg.testkit.stub;

import static io.zkasg.testkit.stub.AwsStubServer.jsonText;
import static io.zkasg.testkit.stub.AwsStubServer.render;
import static io.zkasg.testkit.stub.AwsStubServer.requestId;
import static io.zkasg.testkit.stub.AwsStubServer.xml;

import io.zkasg.core.model.EniView;
import io.zkasg.core.model.GroupMember;
import io.zkasg.core.model.InstanceView;
import io.zkasg.core.model.VolumeView;
import io.zkasg.testkit.stub.AwsStubServer.Request;
import io.zkasg.testkit.stub.AwsStubServer.Response;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Successful describe and command replies built from the core's views, in the shapes AWS returns (rendered from the
 * templates next to {@link AwsStubServer}). A view that goes through the SDK and an adapter should come out equal.
 */
public final class AwsShapes {

    /** The AZ reported for Auto Scaling members ({@link GroupMember} carries none). */
    public static final String MEMBER_AZ = "us-east-1a";

    private AwsShapes() {
    }

    public static Response describeInstances(List<InstanceView> instances) {
        String reservations = instances.stream().map(AwsShapes::reservation).collect(Collectors.joining());
        return new Response(200, render("ec2/DescribeInstances.xml",
                Map.of("requestId", requestId(), "reservations", reservations, "nextToken", "")));
    }

    /** One page of ENIs; {@code nextToken} null on the last page. */
    public static Response describeNetworkInterfaces(List<EniView> enis, String nextToken) {
        String items = enis.stream().map(AwsShapes::eni).collect(Collectors.joining());
        return new Response(200, render("ec2/DescribeNetworkInterfaces.xml", Map.of("requestId", requestId(),
                "networkInterfaces", items, "nextToken", ec2NextToken(nextToken))));
    }

    /** One page of volumes; {@code nextToken} null on the last page. */
    public static Response describeVolumes(List<VolumeView> volumes, String nextToken) {
        String items = volumes.stream().map(AwsShapes::volume).collect(Collectors.joining());
        return new Response(200, render("ec2/DescribeVolumes.xml", Map.of("requestId", requestId(),
                "volumes", items, "nextToken", ec2NextToken(nextToken))));
    }

    public static Response describeAutoScalingInstances(List<GroupMember> members, String nextToken) {
        String items = members.stream()
                .map(m -> render("autoscaling/instance-member.xml", Map.of(
                        "instanceId", xml(m.instanceId()), "groupName", xml(m.groupName()),
                        "availabilityZone", MEMBER_AZ, "lifecycleState", xml(m.lifecycleState()),
                        "healthStatus", xml(m.healthStatus()))))
                .collect(Collectors.joining());
        String token = nextToken == null ? ""
                : render("autoscaling/next-token.xml", Map.of("nextToken", xml(nextToken)));
        return new Response(200, render("autoscaling/DescribeAutoScalingInstances.xml",
                Map.of("requestId", requestId(), "members", items, "nextToken", token)));
    }

    /** Auto Scaling groups by name, each with the names of its suspended processes. */
    public static Response describeAutoScalingGroups(Map<String, List<String>> suspendedByGroup) {
        return describeAutoScalingGroups(suspendedByGroup, List.of());
    }

    /** Like {@link #describeAutoScalingGroups(Map)}, every group listing these instances. */
    public static Response describeAutoScalingGroups(Map<String, List<String>> suspendedByGroup,
                                                     List<GroupMember> instances) {
        String members = instances.stream()
                .map(m -> render("autoscaling/group-instance-item.xml", Map.of(
                        "instanceId", xml(m.instanceId()),
                        "lifecycleState", xml(m.lifecycleState()),
                        "healthStatus", xml(m.healthStatus()))))
                .collect(Collectors.joining());
        String groups = suspendedByGroup.entrySet().stream()
                .map(g -> render("autoscaling/group-item.xml", Map.of(
                        "groupName", xml(g.getKey()),
                        "instances", members,
                        "suspendedProcesses", g.getValue().stream()
                                .map(p -> render("autoscaling/suspended-process-item.xml",
                                        Map.of("processName", xml(p))))
                                .collect(Collectors.joining()))))
                .collect(Collectors.joining());
        return new Response(200, render("autoscaling/DescribeAutoScalingGroups.xml",
                Map.of("requestId", requestId(), "groups", groups)));
    }

    /** GetCommandInvocation's answer: the invocation's status. */
    public static Response getCommandInvocation(String commandId, String instanceId, String status) {
        return new Response(200, render("ssm/GetCommandInvocation.json", Map.of(
                "commandId", jsonText(commandId), "instanceId", jsonText(instanceId), "status", jsonText(status))));
    }

    /** SSM's registered instances: instance id → PingStatus (Online, ConnectionLost, Inactive). */
    public static Response describeInstanceInformation(Map<String, String> pingStatusByInstance) {
        String items = pingStatusByInstance.entrySet().stream()
                .map(e -> render("ssm/instance-information-item.json", Map.of(
                        "instanceId", jsonText(e.getKey()), "pingStatus", jsonText(e.getValue()))))
                .collect(Collectors.joining(","));
        return new Response(200, render("ssm/DescribeInstanceInformation.json",
                Map.of("instances", items, "nextToken", "")));
    }

    /** SendCommand's answer echoing the request's document, first instance, comment and timeout. */
    public static Response sendCommand(Request request, String commandId) {
        Map<String, Object> json = request.json();
        Object ids = json.get("InstanceIds");
        String instanceId = ids instanceof List<?> list && !list.isEmpty() ? String.valueOf(list.get(0)) : "";
        Object timeout = json.getOrDefault("TimeoutSeconds", 3600);
        return new Response(200, render("ssm/SendCommand.json", Map.of(
                "commandId", jsonText(commandId),
                "documentName", jsonText(String.valueOf(json.getOrDefault("DocumentName", ""))),
                "comment", jsonText(String.valueOf(json.getOrDefault("Comment", ""))),
                "instanceId", jsonText(instanceId),
                "timeoutSeconds", String.valueOf(timeout))));
    }

    private static String reservation(InstanceView instance) {
        String nics = instance.networkInterfaces().stream()
                .map(n -> render("ec2/instance-nic-item.xml", Map.of(
                        "eniId", xml(n.eniId()), "subnetId", xml(instance.subnetId()),
                        "attachmentId", xml(n.attachmentId()), "deviceIndex", String.valueOf(n.deviceIndex()),
                        "status", xml(n.status()), "deleteOnTermination", String.valueOf(n.deleteOnTermination()))))
                .collect(Collectors.joining());
        String blocks = instance.volumes().stream()
                .map(v -> render("ec2/block-device-item.xml", Map.of(
                        "device", xml(v.device()), "volumeId", xml(v.volumeId()), "status", xml(v.status()))))
                .collect(Collectors.joining());
        return render("ec2/reservation-item.xml", Map.of(
                "suffix", AwsStubServer.suffix(),
                "instanceId", xml(instance.instanceId()),
                "stateCode", String.valueOf(stateCode(instance.state())),
                "state", xml(instance.state()),
                "availabilityZone", xml(instance.availabilityZone()),
                "subnetId", xml(instance.subnetId()),
                "blockDevices", blocks,
                "networkInterfaces", nics,
                "tags", tags(instance.tags())));
    }

    private static String eni(EniView eni) {
        String attachment = eni.attachment()
                .map(a -> render("ec2/eni-attachment.xml", Map.of(
                        "attachmentId", xml(a.attachmentId()), "instanceId", xml(a.instanceId()),
                        "deviceIndex", String.valueOf(a.deviceIndex()), "status", xml(a.status()),
                        "deleteOnTermination", String.valueOf(a.deleteOnTermination()))))
                .orElse("");
        return render("ec2/eni-item.xml", Map.of(
                "eniId", xml(eni.eniId()), "subnetId", xml(eni.subnetId()),
                "availabilityZone", xml(eni.availabilityZone()), "status", xml(eni.status()),
                "macAddress", xml(eni.macAddress()), "privateIp", xml(eni.privateIp()),
                "attachment", attachment, "tags", tags(eni.tags())));
    }

    private static String volume(VolumeView volume) {
        String attachments = volume.attachments().stream()
                .map(a -> render("ec2/volume-attachment-item.xml", Map.of(
                        "volumeId", xml(volume.volumeId()), "instanceId", xml(a.instanceId()),
                        "device", xml(a.device()), "state", xml(a.state()))))
                .collect(Collectors.joining());
        return render("ec2/volume-item.xml", Map.of(
                "volumeId", xml(volume.volumeId()), "availabilityZone", xml(volume.availabilityZone()),
                "state", xml(volume.state()), "attachments", attachments, "tags", tags(volume.tags())));
    }

    private static String tags(Map<String, String> tags) {
        return tags.entrySet().stream()
                .map(t -> render("ec2/tag-item.xml", Map.of("key", xml(t.getKey()), "value", xml(t.getValue()))))
                .collect(Collectors.joining());
    }

    private static String ec2NextToken(String nextToken) {
        return nextToken == null ? "" : render("ec2/next-token.xml", Map.of("nextToken", xml(nextToken)));
    }

    private static int stateCode(String state) {
        return switch (state == null ? "" : state) {
            case "pending" -> 0;
            case "running" -> 16;
            case "shutting-down" -> 32;
            case "terminated" -> 48;
            case "stopping" -> 64;
            case "stopped" -> 80;
            default -> 0;
        };
    }
}
