package io.zkasg.aws;

import io.zkasg.aws.AwsErrors.Call;
import io.zkasg.core.model.EniView;
import io.zkasg.core.model.InstanceView;
import io.zkasg.core.model.VolumeView;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.ClusterTags;
import io.zkasg.core.port.Ec2Port;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.AttachNetworkInterfaceRequest;
import software.amazon.awssdk.services.ec2.model.AttachVolumeRequest;
import software.amazon.awssdk.services.ec2.model.CreateTagsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.DescribeNetworkInterfacesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeNetworkInterfacesResponse;
import software.amazon.awssdk.services.ec2.model.DescribeVolumesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeVolumesResponse;
import software.amazon.awssdk.services.ec2.model.DetachNetworkInterfaceRequest;
import software.amazon.awssdk.services.ec2.model.DetachVolumeRequest;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceBlockDeviceMapping;
import software.amazon.awssdk.services.ec2.model.InstanceNetworkInterface;
import software.amazon.awssdk.services.ec2.model.ModifyNetworkInterfaceAttributeRequest;
import software.amazon.awssdk.services.ec2.model.NetworkInterface;
import software.amazon.awssdk.services.ec2.model.NetworkInterfaceAttachment;
import software.amazon.awssdk.services.ec2.model.NetworkInterfaceAttachmentChanges;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.Volume;

/** {@link Ec2Port} over the EC2 API. Every describe carries an id list or a tag filter. */
public final class AwsEc2 implements Ec2Port {

    private final Ec2Client ec2;

    public AwsEc2(Ec2Client ec2) {
        this.ec2 = Objects.requireNonNull(ec2, "ec2");
    }

    @Override
    public Optional<InstanceView> describeInstance(String instanceId) {
        DescribeInstancesResponse response;
        try {
            // By id there is at most one page: EC2 rejects MaxResults together with InstanceIds.
            response = AwsErrors.call(Call.OTHER, () -> ec2.describeInstances(r -> r.instanceIds(instanceId)));
        } catch (CloudException.NotFound e) {
            return Optional.empty();
        }
        return response.reservations().stream()
                .flatMap(reservation -> reservation.instances().stream())
                .filter(instance -> instanceId.equals(instance.instanceId()))
                .findFirst()
                .map(AwsEc2::toView);
    }

    @Override
    public List<EniView> clusterEnis(ClusterTags cluster) {
        DescribeNetworkInterfacesRequest request = DescribeNetworkInterfacesRequest.builder()
                .filters(clusterFilter(cluster))
                .build();
        return AwsErrors.call(Call.OTHER, () -> Pages.all(
                token -> ec2.describeNetworkInterfaces(request.toBuilder().nextToken(token).build()),
                DescribeNetworkInterfacesResponse::nextToken, DescribeNetworkInterfacesResponse::networkInterfaces)
                .stream().map(AwsEc2::toView).toList());
    }

    @Override
    public List<VolumeView> clusterVolumes(ClusterTags cluster, String availabilityZone) {
        DescribeVolumesRequest request = DescribeVolumesRequest.builder()
                .filters(clusterFilter(cluster),
                        Filter.builder().name("availability-zone").values(availabilityZone).build())
                .build();
        return AwsErrors.call(Call.OTHER, () -> Pages.all(
                token -> ec2.describeVolumes(request.toBuilder().nextToken(token).build()),
                DescribeVolumesResponse::nextToken, DescribeVolumesResponse::volumes)
                .stream().map(AwsEc2::toView).toList());
    }

    @Override
    public void attachEni(String eniId, String instanceId, int deviceIndex) {
        AttachNetworkInterfaceRequest request = AttachNetworkInterfaceRequest.builder()
                .networkInterfaceId(eniId)
                .instanceId(instanceId)
                .deviceIndex(deviceIndex)
                .build();
        AwsErrors.run(Call.ATTACH, () -> ec2.attachNetworkInterface(request));
    }

    @Override
    public void attachVolume(String volumeId, String instanceId, String device) {
        AttachVolumeRequest request = AttachVolumeRequest.builder()
                .volumeId(volumeId)
                .instanceId(instanceId)
                .device(device)
                .build();
        AwsErrors.run(Call.ATTACH, () -> ec2.attachVolume(request));
    }

    @Override
    public void keepEniOnTermination(String eniId, String attachmentId) {
        ModifyNetworkInterfaceAttributeRequest request = ModifyNetworkInterfaceAttributeRequest.builder()
                .networkInterfaceId(eniId)
                .attachment(NetworkInterfaceAttachmentChanges.builder()
                        .attachmentId(attachmentId)
                        .deleteOnTermination(false)
                        .build())
                .build();
        AwsErrors.run(Call.OTHER, () -> ec2.modifyNetworkInterfaceAttribute(request));
    }

    @Override
    public void detachEni(String attachmentId, boolean force) {
        DetachNetworkInterfaceRequest request = DetachNetworkInterfaceRequest.builder()
                .attachmentId(attachmentId)
                .force(force)
                .build();
        AwsErrors.run(Call.OTHER, () -> ec2.detachNetworkInterface(request));
    }

    @Override
    public void detachVolume(String volumeId, String instanceId, boolean force) {
        DetachVolumeRequest request = DetachVolumeRequest.builder()
                .volumeId(volumeId)
                .instanceId(instanceId)
                .force(force)
                .build();
        AwsErrors.run(Call.OTHER, () -> ec2.detachVolume(request));
    }

    @Override
    public void tagInstance(String instanceId, Map<String, String> tags) {
        if (tags.isEmpty()) {
            return;
        }
        List<Tag> sdkTags = tags.entrySet().stream()
                .map(t -> Tag.builder().key(t.getKey()).value(t.getValue()).build())
                .toList();
        CreateTagsRequest request = CreateTagsRequest.builder().resources(instanceId).tags(sdkTags).build();
        AwsErrors.run(Call.OTHER, () -> ec2.createTags(request));
    }

    private static Filter clusterFilter(ClusterTags cluster) {
        if (cluster.byLegacyName()) {
            // EC2 filter values accept * wildcards: ZOOKEEPER-* finds ZOOKEEPER-1, ZOOKEEPER-2...
            return Filter.builder().name("tag:Name").values(cluster.legacyNamePrefix() + "*").build();
        }
        return Filter.builder().name("tag:" + cluster.clusterTagKey()).values(cluster.clusterName()).build();
    }

    private static InstanceView toView(Instance instance) {
        List<InstanceView.NicAttachment> nics = new ArrayList<>();
        for (InstanceNetworkInterface nic : instance.networkInterfaces()) {
            var attachment = nic.attachment();
            nics.add(new InstanceView.NicAttachment(
                    nic.networkInterfaceId(),
                    attachment == null ? null : attachment.attachmentId(),
                    attachment == null || attachment.deviceIndex() == null ? -1 : attachment.deviceIndex(),
                    attachment == null ? nic.statusAsString() : attachment.statusAsString(),
                    attachment != null && Boolean.TRUE.equals(attachment.deleteOnTermination())));
        }
        List<InstanceView.VolumeAttachment> volumes = new ArrayList<>();
        for (InstanceBlockDeviceMapping mapping : instance.blockDeviceMappings()) {
            if (mapping.ebs() != null) {
                volumes.add(new InstanceView.VolumeAttachment(
                        mapping.ebs().volumeId(), mapping.deviceName(), mapping.ebs().statusAsString()));
            }
        }
        return new InstanceView(
                instance.instanceId(),
                instance.placement() == null ? null : instance.placement().availabilityZone(),
                instance.subnetId(),
                instance.state() == null ? null : instance.state().nameAsString(),
                tags(instance.tags()),
                nics,
                volumes);
    }

    private static EniView toView(NetworkInterface eni) {
        NetworkInterfaceAttachment a = eni.attachment();
        Optional<EniView.Attachment> attachment = a == null || a.attachmentId() == null
                ? Optional.empty()
                : Optional.of(new EniView.Attachment(
                        a.attachmentId(),
                        a.instanceId(),
                        a.deviceIndex() == null ? -1 : a.deviceIndex(),
                        a.statusAsString(),
                        Boolean.TRUE.equals(a.deleteOnTermination())));
        return new EniView(
                eni.networkInterfaceId(),
                eni.availabilityZone(),
                eni.subnetId(),
                eni.privateIpAddress(),
                eni.macAddress(),
                eni.statusAsString(),
                tags(eni.tagSet()),
                attachment);
    }

    private static VolumeView toView(Volume volume) {
        List<VolumeView.Attachment> attachments = volume.attachments().stream()
                .map(a -> new VolumeView.Attachment(a.instanceId(), a.device(), a.stateAsString()))
                .toList();
        return new VolumeView(volume.volumeId(), volume.availabilityZone(), volume.stateAsString(),
                tags(volume.tags()), attachments);
    }

    private static Map<String, String> tags(List<Tag> tags) {
        Map<String, String> map = new LinkedHashMap<>();
        for (Tag tag : tags) {
            if (tag.key() != null) {
                map.put(tag.key(), tag.value() == null ? "" : tag.value());
            }
        }
        return map;
    }
}
