package io.zkasg.aws;

import static io.zkasg.testkit.stub.AwsStubServer.error;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.zkasg.core.model.AgentStatus;
import io.zkasg.core.port.CloudException;
import io.zkasg.testkit.stub.AwsShapes;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AwsSsmTest extends AgainstStub {

    private AwsSsm ssm;

    @BeforeEach
    void adapter() {
        ssm = new AwsSsm(clients.ssm());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"Online, ONLINE", "ConnectionLost, UNREACHABLE", "Inactive, UNREACHABLE"})
    void agentStatus_shouldFollowPingStatus_whenInstanceIsRegistered(String pingStatus, AgentStatus expected) {
        // GIVEN
        stub.on("DescribeInstanceInformation", r -> AwsShapes.describeInstanceInformation(Map.of("i-1", pingStatus)));

        // WHEN / THEN
        assertThat(ssm.agentStatus("i-1")).isEqualTo(expected);
    }

    @Test
    void agentStatus_shouldFilterByInstanceId_whenAsked() {
        // GIVEN: SSM knows no instance

        // WHEN
        AgentStatus status = ssm.agentStatus("i-1");

        // THEN
        assertThat(status).isEqualTo(AgentStatus.NOT_REGISTERED);
        assertThat(stub.requests("DescribeInstanceInformation").get(0).json().get("Filters"))
                .isEqualTo(List.of(Map.of("Key", "InstanceIds", "Values", List.of("i-1"))));
    }

    @Test
    void agentStatus_shouldBeNotRegistered_whenSsmAnswersInvalidInstanceId() {
        // GIVEN
        stub.enqueue("DescribeInstanceInformation",
                error("InvalidInstanceId", "Instances [[i-1]] not in a valid state"));

        // WHEN / THEN
        assertThat(ssm.agentStatus("i-1")).isEqualTo(AgentStatus.NOT_REGISTERED);
    }

    @Test
    void sendCommand_shouldSendSingleValueParametersAndTruncatedComment_whenSending() {
        // GIVEN
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("eniId", "eni-1");
        parameters.put("myId", "3");
        String comment = "zkasg launch zk-asg/zk-launch i-1 ".repeat(5);

        // WHEN
        String commandId = ssm.sendCommand("i-1", "zkasg-configure", parameters, comment, Duration.ofMinutes(5));

        // THEN
        assertThat(commandId).isNotBlank();
        Map<String, Object> json = stub.requests("SendCommand").get(0).json();
        assertThat(json).containsEntry("DocumentName", "zkasg-configure")
                .containsEntry("InstanceIds", List.of("i-1"))
                .containsEntry("Parameters", Map.of("eniId", List.of("eni-1"), "myId", List.of("3")))
                .containsEntry("Comment", comment.substring(0, 100))
                .containsEntry("TimeoutSeconds", new BigDecimal("300"));
    }

    @Test
    void sendCommand_shouldThrowAgentNotReady_whenSsmDoesNotKnowTheInstance() {
        // GIVEN
        stub.enqueue("SendCommand", error("InvalidInstanceId", "Instances [[i-1]] not in a valid state for account"));

        // WHEN
        Throwable thrown = catchThrowable(() -> ssm.sendCommand("i-1", "doc", Map.of(), "c", Duration.ofMinutes(5)));

        // THEN
        assertThat(thrown).isInstanceOf(CloudException.AgentNotReady.class);
        assertThat(((CloudException) thrown).code()).isEqualTo("InvalidInstanceId");
    }

    @Test
    void sendCommand_shouldSucceed_whenThrottlingClearsWithinSdkRetries() {
        // GIVEN
        stub.throttle("SendCommand", 2);

        // WHEN
        String commandId = ssm.sendCommand("i-1", "doc", Map.of(), "c", Duration.ofMinutes(5));

        // THEN
        assertThat(commandId).isNotBlank();
        assertThat(stub.count("SendCommand")).isEqualTo(3);
    }

    @Test
    void agentStatus_shouldThrowThrottled_whenThrottlingOutlastsSdkRetries() {
        // GIVEN
        stub.throttle("DescribeInstanceInformation", 3);

        // WHEN / THEN
        assertThat(catchThrowable(() -> ssm.agentStatus("i-1"))).isInstanceOf(CloudException.Throttled.class);
    }

    @Test
    void commandStatus_shouldReadTheInvocationsStatus_byCommandAndInstance() {
        // GIVEN
        stub.on("GetCommandInvocation", r -> AwsShapes.getCommandInvocation("c-1", "i-1", "Failed"));

        // WHEN / THEN
        assertThat(ssm.commandStatus("c-1", "i-1")).contains("Failed");
        assertThat(stub.requests("GetCommandInvocation").get(0).json()).containsEntry("CommandId", "c-1")
                .containsEntry("InstanceId", "i-1");
    }

    @Test
    void commandStatus_shouldBeEmpty_whenSsmDoesNotKnowTheInvocation() {
        // GIVEN: GetCommandInvocation's documented error for an unknown command/instance pair
        stub.enqueue("GetCommandInvocation", error("InvocationDoesNotExist", ""));

        // WHEN / THEN
        assertThat(ssm.commandStatus("c-1", "i-1")).isEmpty();
    }
}
