package io.zkasg.core.model;

/**
 * A node slot: the pre-created ENI (static IP) and EBS volume (data) that together are ZooKeeper server {@code nodeId}.
 * Both live in the same availability zone.
 */
public record Slot(int nodeId, EniView eni, VolumeView volume) {

    public String az() {
        return eni.availabilityZone();
    }
}
