package io.zkasg.core.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One EBS volume of the cluster as EC2 describes it.
 *
 * @param state creating, available, in-use, deleting, deleted, error (EC2's names)
 */
public record VolumeView(
        String volumeId,
        String availabilityZone,
        String state,
        Map<String, String> tags,
        List<Attachment> attachments) {

    public VolumeView {
        tags = Map.copyOf(tags);
        attachments = List.copyOf(attachments);
    }

    public boolean isAvailable() {
        return "available".equals(state) && attachments.isEmpty();
    }

    /** The instance that holds the volume, if any (an io1/io2 multi-attach volume is never a data volume here). */
    public Optional<String> holder() {
        return attachments.stream().map(Attachment::instanceId).findFirst();
    }

    /** One attachment of the volume; state is attaching, attached, detaching, detached or busy. */
    public record Attachment(String instanceId, String device, String state) {
    }
}
