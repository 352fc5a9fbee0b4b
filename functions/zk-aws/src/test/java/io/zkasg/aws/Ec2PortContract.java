package io.zkasg.aws;

import static io.zkasg.aws.ContractAssertions.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.ClusterTags;
import io.zkasg.core.port.Ec2Port;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Ec2Port} must do, run against the fake ({@link FakeEc2ContractTest}), the adapter over the wire to
 * the fake ({@link WireEc2ContractTest}) and the adapter against EC2's documented answers ({@link AwsEc2ContractTest}).
 * Each case names the EC2 behaviour it pins and where AWS documents it; each side arranges the case its own way.
 */
abstract class Ec2PortContract {

    /** Client error codes for specific actions, and "Eventual consistency". */
    static final String EC2_ERRORS = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html";
    static final ClusterTags CLUSTER = new ClusterTags("zkasg:cluster", "zk-demo", "zkasg:node-id", "");
    static final String AZ = "us-east-1a";
    static final String OTHER_AZ = "us-east-1b";

    /** The port of one case, the instance it acts for and the resource (ENI, volume or attachment id) it acts on. */
    record Arranged(Ec2Port port, String instanceId, String resourceId) {
    }

    /** A running instance in {@link #AZ}; an ENI of that AZ attached to another instance. */
    abstract Arranged eniAttachedElsewhere();

    /** A running instance in {@link #AZ}; a volume of that AZ attached to another instance. */
    abstract Arranged volumeAttachedElsewhere();

    /** An instance still pending in {@link #AZ}; a free ENI of that AZ. */
    abstract Arranged pendingInstanceAndFreeEni();

    /** A running instance in {@link #AZ}; a free volume in {@link #OTHER_AZ}. */
    abstract Arranged volumeInOtherZone();

    /** An instance id EC2 does not know. */
    abstract Arranged unknownInstance();

    /** An ENI attachment id EC2 does not know (the ENI was detached already). */
    abstract Arranged detachedAttachment();

    /** A running instance and a free ENI of its AZ; {@code operation} is throttled past the SDK's retries. */
    abstract Arranged throttled(String operation);

    /** A running instance and a free ENI of its AZ; describes lag one mutation behind. */
    abstract Arranged lagging();

    @Test
    void attachEni_shouldBeResourceInUse_whenTheEniIsAttachedElsewhere() {
        // EC2: AttachNetworkInterface on an ENI in use fails with InvalidNetworkInterface.InUse (EC2_ERRORS). The
        // attach is the claim: the loser of a race must see "in use", never a success.
        var a = eniAttachedElsewhere();
        assertRefused(() -> a.port().attachEni(a.resourceId(), a.instanceId(), 1),
                CloudException.ResourceInUse.class, "InvalidNetworkInterface.InUse");
    }

    @Test
    void attachVolume_shouldBeResourceInUse_whenTheVolumeIsAttachedElsewhere() {
        // EC2: AttachVolume on a volume that is attached fails with VolumeInUse (EC2_ERRORS).
        var a = volumeAttachedElsewhere();
        assertRefused(() -> a.port().attachVolume(a.resourceId(), a.instanceId(), "/dev/xvdf"),
                CloudException.ResourceInUse.class, "VolumeInUse");
    }

    @Test
    void attachEni_shouldBeIncorrectState_whenTheInstanceIsStillPending() {
        // EC2: an instance in the wrong state for the action gives IncorrectInstanceState (EC2_ERRORS); a pending
        // instance takes no second interface yet, the launch waits and comes back.
        var a = pendingInstanceAndFreeEni();
        assertRefused(() -> a.port().attachEni(a.resourceId(), a.instanceId(), 1),
                CloudException.IncorrectState.class, "IncorrectInstanceState");
    }

    @Test
    void attachVolume_shouldBeZoneMismatch_whenTheVolumeIsInAnotherZone() {
        // EC2: a volume and an instance in different AZs give InvalidVolume.ZoneMismatch (EC2_ERRORS).
        var a = volumeInOtherZone();
        assertRefused(() -> a.port().attachVolume(a.resourceId(), a.instanceId(), "/dev/xvdf"),
                CloudException.ZoneMismatch.class, "InvalidVolume.ZoneMismatch");
    }

    @Test
    void describeInstance_shouldBeEmpty_whenEc2DoesNotKnowTheInstance() {
        // EC2: DescribeInstances by an unknown id fails with InvalidInstanceID.NotFound (EC2_ERRORS; also right after
        // RunInstances, by eventual consistency): the port answers "no such instance".
        var a = unknownInstance();
        assertThat(a.port().describeInstance(a.instanceId())).isEmpty();
    }

    @Test
    void tagInstance_shouldBeNotFound_whenEc2DoesNotKnowTheInstance() {
        // EC2: CreateTags on an unknown instance id fails with InvalidInstanceID.NotFound (EC2_ERRORS).
        var a = unknownInstance();
        assertRefused(() -> a.port().tagInstance(a.instanceId(), java.util.Map.of("k", "v")),
                CloudException.NotFound.class, "InvalidInstanceID.NotFound");
    }

    @Test
    void detachEni_shouldBeNotFound_whenTheAttachmentIsGone() {
        // EC2: DetachNetworkInterface with an attachment id that no longer exists fails with
        // InvalidAttachmentID.NotFound (EC2_ERRORS): a second detach of the same slot is not a success.
        var a = detachedAttachment();
        assertRefused(() -> a.port().detachEni(a.resourceId(), false),
                CloudException.NotFound.class, "InvalidAttachmentID.NotFound");
    }

    @Test
    void attachEni_shouldBeThrottled_whenEc2KeepsSayingRequestLimitExceeded() {
        // EC2: throttled calls fail with RequestLimitExceeded (EC2_ERRORS, "Request throttling"); the SDK retries,
        // what outlasts its retries reaches the port as Throttled and the launch backs off.
        var a = throttled("AttachNetworkInterface");
        assertRefused(() -> a.port().attachEni(a.resourceId(), a.instanceId(), 1),
                CloudException.Throttled.class, "RequestLimitExceeded");
    }

    @Test
    void clusterEnis_mayStillShowTheEniAvailable_rightAfterASuccessfulAttach() {
        // EC2: describes are eventually consistent (EC2_ERRORS, "Eventual consistency"): a resource can look
        // available just after it was attached, so a free-looking ENI is only a candidate, never a claim.
        var a = lagging();
        a.port().attachEni(a.resourceId(), a.instanceId(), 1);
        var seen = a.port().clusterEnis(CLUSTER).stream().filter(e -> e.eniId().equals(a.resourceId())).findFirst();
        assertThat(seen).hasValueSatisfying(e -> {
            assertThat(e.status()).isEqualTo("available");
            assertThat(e.attachment()).isEmpty();
        });
    }
}
