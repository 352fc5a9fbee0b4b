package io.zkasg.aws;

import static io.zkasg.testkit.stub.AwsStubServer.error;
import static io.zkasg.testkit.stub.AwsStubServer.reply;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.zkasg.core.model.EniView;
import io.zkasg.core.model.InstanceView;
import io.zkasg.core.model.VolumeView;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.ClusterTags;
import io.zkasg.testkit.stub.AwsShapes;
import io.zkasg.testkit.stub.AwsStubServer.Request;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AwsEc2Test extends AgainstStub {

    private static final ClusterTags CLUSTER = new ClusterTags("zkasg:cluster", "prod-zk", "zkasg:node-id", "");
    private static final ClusterTags LEGACY = new ClusterTags("zkasg:cluster", "prod-zk", "zkasg:node-id",
            "ZOOKEEPER-");

    private AwsEc2 ec2;

    @BeforeEach
    void adapter() {
        ec2 = new AwsEc2(clients.ec2());
    }

    @Test
    void describeInstance_shouldMapNicsAndVolumes_whenInstanceExists() {
        // GIVEN
        InstanceView view = new InstanceView("i-0123456789abcdef0", "eu-west-1b", "subnet-b", "running",
                Map.of("Name", "zk", "zkasg:cluster", "prod-zk"),
                List.of(new InstanceView.NicAttachment("eni-primary", "eni-attach-0", 0, "attached", true),
                        new InstanceView.NicAttachment("eni-2", "eni-attach-2", 1, "attaching", false)),
                List.of(new InstanceView.VolumeAttachment("vol-root", "/dev/xvda", "attached"),
                        new InstanceView.VolumeAttachment("vol-2", "/dev/xvdg", "attaching")));
        stub.on("DescribeInstances", r -> AwsShapes.describeInstances(List.of(view)));

        // WHEN
        Optional<InstanceView> described = ec2.describeInstance("i-0123456789abcdef0");

        // THEN
        assertThat(described).contains(view);
        Request request = stub.requests("DescribeInstances").get(0);
        assertThat(request.params("InstanceId.")).containsExactly(Map.entry("InstanceId.1", "i-0123456789abcdef0"));
        assertThat(request.params("Filter.")).isEmpty();
    }

    @Test
    void describeInstance_shouldBeEmpty_whenEc2SaysNotFound() {
        // GIVEN
        stub.enqueue("DescribeInstances", error("InvalidInstanceID.NotFound",
                "The instance ID 'i-0000' does not exist"));

        // WHEN / THEN
        assertThat(ec2.describeInstance("i-0000")).isEmpty();
    }

    @Test
    void describeInstance_shouldBeEmpty_whenNoReservation() {
        // GIVEN: the stub's default DescribeInstances answer has an empty reservationSet

        // WHEN / THEN
        assertThat(ec2.describeInstance("i-gone")).isEmpty();
    }

    @Test
    void clusterEnis_shouldFilterByClusterTagAndFollowPages_whenEnisSpanPages() {
        // GIVEN
        EniView free = new EniView("eni-1", "eu-west-1a", "subnet-a", "10.0.1.11", "02:00:00:00:00:01", "available",
                Map.of("zkasg:cluster", "prod-zk", "zkasg:node-id", "1"), Optional.empty());
        EniView held = new EniView("eni-2", "eu-west-1b", "subnet-b", "10.0.2.12", "02:00:00:00:00:02", "in-use",
                Map.of("zkasg:cluster", "prod-zk", "zkasg:node-id", "2"),
                Optional.of(new EniView.Attachment("eni-attach-9", "i-9", 1, "attached", false)));
        stub.enqueue("DescribeNetworkInterfaces",
                reply(AwsShapes.describeNetworkInterfaces(List.of(free), "page-2")),
                reply(AwsShapes.describeNetworkInterfaces(List.of(held), null)));

        // WHEN
        List<EniView> enis = ec2.clusterEnis(CLUSTER);

        // THEN
        assertThat(enis).containsExactly(free, held);
        List<Request> requests = stub.requests("DescribeNetworkInterfaces");
        assertThat(requests).hasSize(2);
        assertThat(requests).allSatisfy(r -> assertThat(r.params("Filter.")).containsExactly(
                Map.entry("Filter.1.Name", "tag:zkasg:cluster"), Map.entry("Filter.1.Value.1", "prod-zk")));
        assertThat(requests.get(0).param("NextToken")).isNull();
        assertThat(requests.get(1).param("NextToken")).isEqualTo("page-2");
    }

    @Test
    void clusterEnis_shouldFilterByNamePrefix_whenLegacyNames() {
        // GIVEN: no ENI

        // WHEN
        List<EniView> enis = ec2.clusterEnis(LEGACY);

        // THEN
        assertThat(enis).isEmpty();
        assertThat(stub.requests("DescribeNetworkInterfaces").get(0).params("Filter.")).containsExactly(
                Map.entry("Filter.1.Name", "tag:Name"), Map.entry("Filter.1.Value.1", "ZOOKEEPER-*"));
    }

    @Test
    void clusterVolumes_shouldFilterByTagAndZone_whenCalled() {
        // GIVEN
        VolumeView free = new VolumeView("vol-1", "eu-west-1a", "available", Map.of("zkasg:node-id", "1"), List.of());
        VolumeView held = new VolumeView("vol-2", "eu-west-1a", "in-use", Map.of("zkasg:node-id", "2"),
                List.of(new VolumeView.Attachment("i-9", "/dev/xvdg", "attached")));
        stub.enqueue("DescribeVolumes", reply(AwsShapes.describeVolumes(List.of(free), "t2")),
                reply(AwsShapes.describeVolumes(List.of(held), null)));

        // WHEN
        List<VolumeView> volumes = ec2.clusterVolumes(CLUSTER, "eu-west-1a");

        // THEN
        assertThat(volumes).containsExactly(free, held);
        assertThat(stub.requests("DescribeVolumes")).hasSize(2).allSatisfy(r -> assertThat(r.params("Filter."))
                .containsExactly(Map.entry("Filter.1.Name", "tag:zkasg:cluster"),
                        Map.entry("Filter.1.Value.1", "prod-zk"),
                        Map.entry("Filter.2.Name", "availability-zone"),
                        Map.entry("Filter.2.Value.1", "eu-west-1a")));
    }

    @Test
    void attachEni_shouldSendDeviceIndex_whenAttaching() {
        // GIVEN / WHEN
        ec2.attachEni("eni-1", "i-1", 1);

        // THEN
        Request request = stub.requests("AttachNetworkInterface").get(0);
        assertThat(request.param("NetworkInterfaceId")).isEqualTo("eni-1");
        assertThat(request.param("InstanceId")).isEqualTo("i-1");
        assertThat(request.param("DeviceIndex")).isEqualTo("1");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "InvalidNetworkInterface.InUse | Interface: [eni-1] in use. | ResourceInUse",
        "InvalidParameterValue | Instance 'i-1' already has an interface attached at device index '1'. | ResourceInUse",
        "IncorrectState | Interface eni-1 is not available | IncorrectState",
        "IncorrectInstanceState | The instance 'i-1' is not in a valid state for this operation. | IncorrectState",
        "InvalidNetworkInterfaceID.NotFound | The networkInterface ID 'eni-1' does not exist | NotFound",
        "InvalidInstanceID.NotFound | The instance ID 'i-1' does not exist | NotFound",
        "AttachmentLimitExceeded | Interface count 3 exceeds the limit for t3.micro | AttachmentLimit",
    })
    void attachEni_shouldThrowDomainException_whenEc2Refuses(String code, String message, String expected) {
        // GIVEN: the first attach fails, a second one would succeed
        stub.enqueue("AttachNetworkInterface", error(code, message));

        // WHEN
        Throwable thrown = catchThrowable(() -> ec2.attachEni("eni-1", "i-1", 1));

        // THEN
        assertThat(thrown).isInstanceOf(CloudException.class);
        assertThat(thrown.getClass().getSimpleName()).isEqualTo(expected);
        assertThat(((CloudException) thrown).code()).isEqualTo(code);
        assertThat(stub.count("AttachNetworkInterface")).isEqualTo(1);
        ec2.attachEni("eni-1", "i-1", 1);
    }

    @Test
    void attachVolume_shouldSendDevice_whenAttaching() {
        // GIVEN / WHEN
        ec2.attachVolume("vol-1", "i-1", "/dev/xvdg");

        // THEN
        Request request = stub.requests("AttachVolume").get(0);
        assertThat(request.param("VolumeId")).isEqualTo("vol-1");
        assertThat(request.param("InstanceId")).isEqualTo("i-1");
        assertThat(request.param("Device")).isEqualTo("/dev/xvdg");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "VolumeInUse | vol-1 is already attached to an instance | ResourceInUse",
        "InvalidParameterValue | Invalid value '/dev/xvdg' for unixDevice. Attachment point /dev/xvdg is already in use"
            + " | ResourceInUse",
        "InvalidVolume.ZoneMismatch | The volume 'vol-1' is not in the same availability zone as instance 'i-1'"
            + " | ZoneMismatch",
        "InvalidVolume.NotFound | The volume 'vol-1' does not exist. | NotFound",
        "IncorrectState | vol-1 is not 'available'. | IncorrectState",
        "AttachmentLimitExceeded | too many volumes | AttachmentLimit",
    })
    void attachVolume_shouldThrowDomainException_whenEc2Refuses(String code, String message, String expected) {
        // GIVEN
        stub.enqueue("AttachVolume", error(code, message));

        // WHEN
        Throwable thrown = catchThrowable(() -> ec2.attachVolume("vol-1", "i-1", "/dev/xvdg"));

        // THEN
        assertThat(thrown.getClass().getSimpleName()).isEqualTo(expected);
        assertThat(((CloudException) thrown).code()).isEqualTo(code);
    }

    @Test
    void keepEniOnTermination_shouldSetDeleteOnTerminationFalse_whenCalled() {
        // GIVEN / WHEN
        ec2.keepEniOnTermination("eni-1", "eni-attach-1");

        // THEN
        Request request = stub.requests("ModifyNetworkInterfaceAttribute").get(0);
        assertThat(request.param("NetworkInterfaceId")).isEqualTo("eni-1");
        assertThat(request.param("Attachment.AttachmentId")).isEqualTo("eni-attach-1");
        assertThat(request.param("Attachment.DeleteOnTermination")).isEqualTo("false");
    }

    @Test
    void detachEni_shouldSendAttachmentAndForce_whenForced() {
        // GIVEN / WHEN
        ec2.detachEni("eni-attach-1", true);

        // THEN
        Request request = stub.requests("DetachNetworkInterface").get(0);
        assertThat(request.param("AttachmentId")).isEqualTo("eni-attach-1");
        assertThat(request.param("Force")).isEqualTo("true");
    }

    @Test
    void detachEni_shouldThrowNotFound_whenAttachmentIsGone() {
        // GIVEN
        stub.enqueue("DetachNetworkInterface", error("InvalidAttachmentID.NotFound", "no such attachment"));

        // WHEN / THEN
        assertThat(catchThrowable(() -> ec2.detachEni("eni-attach-1", false)))
                .isInstanceOf(CloudException.NotFound.class);
    }

    @Test
    void detachVolume_shouldSendVolumeInstanceAndForce_whenCalled() {
        // GIVEN / WHEN
        ec2.detachVolume("vol-1", "i-1", false);

        // THEN
        Request request = stub.requests("DetachVolume").get(0);
        assertThat(request.param("VolumeId")).isEqualTo("vol-1");
        assertThat(request.param("InstanceId")).isEqualTo("i-1");
        assertThat(request.param("Force")).isEqualTo("false");
    }

    @Test
    void detachVolume_shouldThrowNotFound_whenVolumeIsNotAttachedThere() {
        // GIVEN
        stub.enqueue("DetachVolume", error("InvalidAttachment.NotFound", "vol-1 is not attached to i-1"));

        // WHEN / THEN
        assertThat(catchThrowable(() -> ec2.detachVolume("vol-1", "i-1", false)))
                .isInstanceOf(CloudException.NotFound.class);
    }

    @Test
    void tagInstance_shouldSendOneCreateTags_whenTagsGiven() {
        // GIVEN / WHEN
        ec2.tagInstance("i-1", Map.of("zkasg:node-id", "3"));

        // THEN
        Request request = stub.requests("CreateTags").get(0);
        assertThat(request.param("ResourceId.1")).isEqualTo("i-1");
        assertThat(request.param("Tag.1.Key")).isEqualTo("zkasg:node-id");
        assertThat(request.param("Tag.1.Value")).isEqualTo("3");
        assertThat(stub.count("CreateTags")).isEqualTo(1);
    }

    @Test
    void attachEni_shouldSucceed_whenThrottlingClearsWithinSdkRetries() {
        // GIVEN: standard retry mode makes 3 attempts
        stub.throttle("AttachNetworkInterface", 2);

        // WHEN
        ec2.attachEni("eni-1", "i-1", 1);

        // THEN
        assertThat(stub.count("AttachNetworkInterface")).isEqualTo(3);
    }

    @Test
    void clusterVolumes_shouldThrowThrottled_whenThrottlingOutlastsSdkRetries() {
        // GIVEN
        stub.throttle("DescribeVolumes", 5);

        // WHEN
        Throwable thrown = catchThrowable(() -> ec2.clusterVolumes(CLUSTER, "eu-west-1a"));

        // THEN
        assertThat(thrown).isInstanceOf(CloudException.Throttled.class);
        assertThat(((CloudException) thrown).code()).isEqualTo("RequestLimitExceeded");
        assertThat(stub.count("DescribeVolumes")).isEqualTo(3);
    }
}
