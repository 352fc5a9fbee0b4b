package io.zkasg.core.port;

import io.zkasg.core.model.EniView;
import io.zkasg.core.model.InstanceView;
import io.zkasg.core.model.VolumeView;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The EC2 control plane as the orchestrator needs it. Every describe is filtered (by id or by tag): EC2 throttles
 * unfiltered describes in a smaller bucket. Failures are {@link CloudException}s.
 */
public interface Ec2Port {

    /** One instance by id (one DescribeInstances); empty when EC2 does not know it. */
    Optional<InstanceView> describeInstance(String instanceId);

    /** Every ENI of the cluster, in every AZ (one DescribeNetworkInterfaces filtered by the cluster's tag). */
    List<EniView> clusterEnis(ClusterTags cluster);

    /** The cluster's volumes in one AZ (one DescribeVolumes filtered by tag and availability-zone). */
    List<VolumeView> clusterVolumes(ClusterTags cluster, String availabilityZone);

    /**
     * Attaches an ENI. This call is the claim: it fails with {@link CloudException.ResourceInUse} when the ENI is
     * attached elsewhere or the device index is taken, {@link CloudException.IncorrectState} when the ENI or the
     * instance is in the wrong state, {@link CloudException.ZoneMismatch} across AZs.
     */
    void attachEni(String eniId, String instanceId, int deviceIndex);

    /** Attaches a volume; fails like {@link #attachEni} ({@code VolumeInUse} maps to ResourceInUse). */
    void attachVolume(String volumeId, String instanceId, String device);

    /** Sets the ENI attachment's DeleteOnTermination to false, so the ENI (the static IP) outlives the instance. */
    void keepEniOnTermination(String eniId, String attachmentId);

    /** Detaches an ENI by attachment id; {@code force} only as the last resort. */
    void detachEni(String attachmentId, boolean force);

    /** Detaches a volume from the instance; {@code force} only as the last resort. */
    void detachVolume(String volumeId, String instanceId, boolean force);

    /** Adds or overwrites tags on an instance (one CreateTags). */
    void tagInstance(String instanceId, Map<String, String> tags);
}
