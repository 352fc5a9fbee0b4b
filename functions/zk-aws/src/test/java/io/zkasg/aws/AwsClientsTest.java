package io.zkasg.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.port.ClusterTags;
import io.zkasg.testkit.stub.AwsStubServer;
import io.zkasg.testkit.stub.AwsStubServer.Request;
import io.zkasg.testkit.stub.AwsStubServer.Service;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;

class AwsClientsTest extends AgainstStub {

    @Test
    void fromEnvironment_shouldCallTheConfiguredEndpoint_whenAwsEndpointUrlIsSet() {
        // GIVEN: the system-property twin of AWS_ENDPOINT_URL (the SDK reads both), and region and credentials the
        // default chains find first, so nothing beyond 127.0.0.1 is ever contacted
        Map<String, String> saved = setProperties(Map.of(
                "aws.endpointUrl", stub.endpoint().toString(),
                "aws.region", "eu-west-1",
                "aws.accessKeyId", "AKIDFROMPROPERTIES",
                "aws.secretAccessKey", "secret",
                "aws.disableEc2Metadata", "true"));
        try (AwsClients fromEnvironment = AwsClients.fromEnvironment()) {
            // WHEN
            new AwsEc2(fromEnvironment.ec2()).describeInstance("i-1");
            new AwsAutoScaling(fromEnvironment.autoScaling()).recordHeartbeat(
                    new LifecycleRef("zk-asg", "zk-launch", "i-1", null));

            // THEN
            assertThat(stub.requests()).extracting(Request::operation)
                    .containsExactly("DescribeInstances", "RecordLifecycleActionHeartbeat");
            assertThat(stub.requests().get(0).header("Authorization"))
                    .contains("Credential=AKIDFROMPROPERTIES/").contains("/eu-west-1/ec2/aws4_request");
            // the standard retry strategy with AwsClients.MAX_ATTEMPTS attempts in all (legacy mode would announce 4)
            assertThat(stub.requests().get(0).header("amz-sdk-request")).isEqualTo("attempt=1; max=5");
        } finally {
            setProperties(saved);
        }
    }

    @Test
    void attempts_shouldCountTheSdkRetriesOfThisThread_whenCallsAreThrottled() {
        // GIVEN: two throttles, then the stub's success (the standard mode's 3 attempts are enough)
        stub.throttle("DescribeAutoScalingInstances", 2);
        clients.attempts().reset();

        // WHEN
        new AwsAutoScaling(clients.autoScaling()).members(List.of("i-1"));
        new AwsEc2(clients.ec2()).describeInstance("i-1");

        // THEN
        assertThat(stub.requests()).hasSize(4);
        assertThat(clients.attempts().retries()).isEqualTo(2);
        clients.attempts().reset();
        assertThat(clients.attempts().retries()).isZero();
    }

    @Test
    void prime_shouldReachEveryServiceAndChangeNothing_whenEndpointAnswers() {
        // GIVEN: a stub answering with its defaults

        // WHEN
        int answered = clients.prime();

        // THEN
        assertThat(answered).isEqualTo(5);
        assertThat(stub.requests()).extracting(Request::service).containsExactlyInAnyOrder(
                Service.EC2, Service.EC2, Service.AUTOSCALING, Service.SSM, Service.SQS);
        assertThat(stub.requests()).extracting(Request::operation)
                .allMatch(op -> op.startsWith("Describe") || op.startsWith("Get"));
        assertEveryDescribeIsFiltered(stub.requests());
    }

    @Test
    void primeOffline_shouldSendNothing_andBuildTheModelsOfTheAdaptersOperations() {
        // GIVEN: a stub that would record any request

        // WHEN
        var models = clients.primeOffline();

        // THEN: nothing reached the endpoint; the requests, responses and nested models of the calls were built
        assertThat(stub.requests()).isEmpty();
        assertThat(models).contains(
                "software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest",
                "software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse",
                "software.amazon.awssdk.services.ec2.model.Instance",
                "software.amazon.awssdk.services.ec2.model.InstanceNetworkInterface",
                "software.amazon.awssdk.services.ec2.model.AttachVolumeResponse",
                "software.amazon.awssdk.services.autoscaling.model.CompleteLifecycleActionRequest",
                "software.amazon.awssdk.services.ssm.model.SendCommandResponse",
                "software.amazon.awssdk.services.ssm.model.Command",
                "software.amazon.awssdk.services.sqs.model.SendMessageRequest",
                "software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest",
                "software.amazon.awssdk.services.dynamodb.model.AttributeValue");
    }

    @Test
    void forEndpoint_shouldTryFiveTimes_withTheProductionRetries_whenAwsKeepsFailing() {
        // GIVEN: production retries (standard mode, 5 attempts) and an endpoint that answers 500 five times
        for (int i = 0; i < AwsClients.MAX_ATTEMPTS; i++) {
            stub.enqueue("DescribeAutoScalingInstances", AwsStubServer.error("InternalFailure", "try again", 500));
        }
        try (AwsClients production = AwsClients.forEndpoint(stub.endpoint(), TEST_CREDENTIALS, Region.US_EAST_1)) {
            // WHEN
            var thrown = catchThrowable(() -> new AwsAutoScaling(production.autoScaling()).members(List.of("i-1")));

            // THEN: five attempts, then the error
            assertThat(thrown).isNotNull();
            assertThat(stub.requests("DescribeAutoScalingInstances")).hasSize(5);
        }
    }

    @Test
    void prime_shouldSwallowErrors_whenEndpointIsUnreachable() throws IOException {
        // GIVEN: a port on 127.0.0.1 that nobody listens on
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (AwsClients unreachable = AwsClients.forEndpoint(URI.create("http://127.0.0.1:" + closedPort),
                TEST_CREDENTIALS, Region.US_EAST_1, fastStandardRetries())) {
            // WHEN
            int answered = unreachable.prime();

            // THEN
            assertThat(answered).isZero();
        }
    }

    @Test
    void describes_shouldAlwaysCarryIdsOrFilters_whenAnyAdapterDescribes() {
        // GIVEN
        AwsEc2 ec2 = new AwsEc2(clients.ec2());
        AwsAutoScaling autoScaling = new AwsAutoScaling(clients.autoScaling());
        AwsSsm ssm = new AwsSsm(clients.ssm());
        ClusterTags tagged = new ClusterTags("zkasg:cluster", "zk", "zkasg:node-id", "");
        ClusterTags legacy = new ClusterTags("zkasg:cluster", "zk", "zkasg:node-id", "ZOOKEEPER-");

        // WHEN: every describe the adapters can make
        ec2.describeInstance("i-1");
        ec2.clusterEnis(tagged);
        ec2.clusterEnis(legacy);
        ec2.clusterVolumes(tagged, "eu-west-1a");
        ec2.clusterVolumes(legacy, "eu-west-1a");
        autoScaling.members(List.of("i-1"));
        autoScaling.members(List.of());
        ssm.agentStatus("i-1");
        clients.prime();

        // THEN
        // 1 instance + 2 ENI + 2 volume + 1 Auto Scaling (none for an empty id list) + 1 SSM + 4 from prime
        assertThat(stub.requests()).extracting(Request::operation).filteredOn(op -> op.startsWith("Describe"))
                .hasSize(11);
        assertEveryDescribeIsFiltered(stub.requests());
    }

    private static void assertEveryDescribeIsFiltered(List<Request> requests) {
        assertThat(requests).filteredOn(r -> r.operation().startsWith("Describe")).allSatisfy(r -> {
            switch (r.service()) {
                case EC2 -> assertThat(r.params("Filter.").keySet().stream()
                        .anyMatch(k -> k.contains(".Value.")) || !r.params("InstanceId.").isEmpty())
                        .as("%s carries a filter value or instance ids: %s", r.operation(), r.params())
                        .isTrue();
                case AUTOSCALING -> assertThat(r.params("InstanceIds.member.")).as(r.operation()).isNotEmpty();
                case SSM -> assertThat(r.json().get("Filters")).as(r.operation())
                        .asInstanceOf(InstanceOfAssertFactories.LIST).isNotEmpty();
                default -> throw new AssertionError("unexpected describe " + r);
            }
        });
    }

    private static Map<String, String> setProperties(Map<String, String> values) {
        Map<String, String> previous = new HashMap<>();
        values.forEach((k, v) -> {
            previous.put(k, System.getProperty(k));
            if (v == null) {
                System.clearProperty(k);
            } else {
                System.setProperty(k, v);
            }
        });
        return previous;
    }

}
