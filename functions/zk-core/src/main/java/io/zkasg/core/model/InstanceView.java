package io.zkasg.core.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What EC2 says about one instance: where it is, its state, its tags and what is attached to it.
 *
 * @param state EC2 state name: pending, running, shutting-down, terminated, stopping, stopped
 */
public record InstanceView(
        String instanceId,
        String availabilityZone,
        String subnetId,
        String state,
        Map<String, String> tags,
        List<NicAttachment> networkInterfaces,
        List<VolumeAttachment> volumes) {

    public InstanceView {
        tags = Map.copyOf(tags);
        networkInterfaces = List.copyOf(networkInterfaces);
        volumes = List.copyOf(volumes);
    }

    public boolean isGone() {
        return "shutting-down".equals(state) || "terminated".equals(state);
    }

    public boolean isRunning() {
        return "running".equals(state);
    }

    public Optional<NicAttachment> nic(String eniId) {
        return networkInterfaces.stream().filter(n -> n.eniId().equals(eniId)).findFirst();
    }

    public Optional<VolumeAttachment> volume(String volumeId) {
        return volumes.stream().filter(v -> v.volumeId().equals(volumeId)).findFirst();
    }

    public Optional<String> tag(String key) {
        return Optional.ofNullable(tags.get(key));
    }

    /** One network interface attached to an instance; status is attaching, attached, detaching or detached. */
    public record NicAttachment(String eniId, String attachmentId, int deviceIndex, String status,
                                boolean deleteOnTermination) {
        public boolean isAttached() {
            return "attached".equals(status);
        }
    }

    /** One EBS volume attached to an instance; status is attaching, attached, detaching or detached. */
    public record VolumeAttachment(String volumeId, String device, String status) {
        public boolean isAttached() {
            return "attached".equals(status);
        }
    }
}
