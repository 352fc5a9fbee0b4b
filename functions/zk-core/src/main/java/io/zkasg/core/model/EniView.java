package io.zkasg.core.model;

import java.util.Map;
import java.util.Optional;

/**
 * One network interface of the cluster as EC2 describes it.
 *
 * @param status available, in-use, attaching, detaching (EC2's names)
 * @param attachment present while the ENI is attached (or attaching/detaching) to an instance
 */
public record EniView(
        String eniId,
        String availabilityZone,
        String subnetId,
        String privateIp,
        String macAddress,
        String status,
        Map<String, String> tags,
        Optional<Attachment> attachment) {

    public EniView {
        tags = Map.copyOf(tags);
    }

    public boolean isAvailable() {
        return "available".equals(status) && attachment.isEmpty();
    }

    public Optional<String> holder() {
        return attachment.map(Attachment::instanceId);
    }

    /** The ENI's current attachment. */
    public record Attachment(String attachmentId, String instanceId, int deviceIndex, String status,
                             boolean deleteOnTermination) {
    }
}
