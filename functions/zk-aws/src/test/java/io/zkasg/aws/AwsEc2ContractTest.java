package io.zkasg.aws;

import static io.zkasg.testkit.stub.AwsStubServer.error;
import static io.zkasg.testkit.stub.AwsStubServer.reply;

import io.zkasg.core.model.EniView;
import io.zkasg.testkit.stub.AwsShapes;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;

/**
 * The EC2 contract against the real adapter and SDK, with the HTTP stub answering as EC2 documents it: the error
 * codes, messages and shapes of the EC2 API reference (query protocol, XML), one canned answer per case.
 */
class AwsEc2ContractTest extends Ec2PortContract {

    private static final String INSTANCE = "i-0123456789abcdef0";
    private static final String ENI = "eni-0123456789abcdef0";
    private static final String VOLUME = "vol-0123456789abcdef0";

    private final Stubbed stubbed = new Stubbed();
    private final AwsEc2 ec2 = new AwsEc2(stubbed.clients.ec2());

    @AfterEach
    void close() {
        stubbed.close();
    }

    private Arranged arranged(String resource) {
        return new Arranged(ec2, INSTANCE, resource);
    }

    @Override
    Arranged eniAttachedElsewhere() {
        stubbed.stub.enqueue("AttachNetworkInterface", error("InvalidNetworkInterface.InUse",
                "Interface: [" + ENI + "] in use."));
        return arranged(ENI);
    }

    @Override
    Arranged volumeAttachedElsewhere() {
        stubbed.stub.enqueue("AttachVolume", error("VolumeInUse",
                "vol '" + VOLUME + "' is already attached to an instance"));
        return arranged(VOLUME);
    }

    @Override
    Arranged pendingInstanceAndFreeEni() {
        stubbed.stub.enqueue("AttachNetworkInterface", error("IncorrectInstanceState",
                "The instance '" + INSTANCE + "' is not in a valid state for this operation."));
        return arranged(ENI);
    }

    @Override
    Arranged volumeInOtherZone() {
        stubbed.stub.enqueue("AttachVolume", error("InvalidVolume.ZoneMismatch",
                "The volume '" + VOLUME + "' is not in the same availability zone as instance '" + INSTANCE + "'"));
        return arranged(VOLUME);
    }

    @Override
    Arranged unknownInstance() {
        var notFound = error("InvalidInstanceID.NotFound", "The instance ID '" + INSTANCE + "' does not exist");
        stubbed.stub.enqueue("DescribeInstances", notFound);
        stubbed.stub.enqueue("CreateTags", notFound);
        return arranged(null);
    }

    @Override
    Arranged detachedAttachment() {
        stubbed.stub.enqueue("DetachNetworkInterface", error("InvalidAttachmentID.NotFound",
                "Attachment 'eni-attach-0123456789abcdef0' does not exist"));
        return arranged("eni-attach-0123456789abcdef0");
    }

    @Override
    Arranged throttled(String operation) {
        stubbed.stub.throttle(operation, Stubbed.SDK_ATTEMPTS);
        return arranged(ENI);
    }

    @Override
    Arranged lagging() {
        // The attach succeeded (default answer); the describe right after still shows the ENI as it was.
        var stale = new EniView(ENI, AZ, "subnet-a", "10.0.1.10", "0a:00:00:00:00:01", "available",
                Map.of(CLUSTER.clusterTagKey(), CLUSTER.clusterName(), CLUSTER.nodeIdTagKey(), "1"), Optional.empty());
        stubbed.stub.enqueue("DescribeNetworkInterfaces", reply(AwsShapes.describeNetworkInterfaces(List.of(stale),
                null)));
        return arranged(ENI);
    }
}
