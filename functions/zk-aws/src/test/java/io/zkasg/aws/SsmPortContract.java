package io.zkasg.aws;

import static io.zkasg.aws.ContractAssertions.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.core.model.AgentStatus;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.SsmPort;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What every {@link SsmPort} must do, run against the fake ({@link FakeSsmContractTest}), the adapter over the wire to
 * the fake ({@link WireSsmContractTest}) and the adapter against SSM's documented answers
 * ({@link AwsSsmContractTest}). Each case names the behaviour it pins and where AWS documents it.
 */
abstract class SsmPortContract {

    static final String SEND_COMMAND =
            "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_SendCommand.html";
    static final String INSTANCE_INFORMATION =
            "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_InstanceInformation.html";

    /** The port of one case and the instance it acts for. */
    record Arranged(SsmPort port, String instanceId) {
    }

    /** A running instance whose agent has not registered with SSM yet. */
    abstract Arranged agentNotRegistered();

    /** A running instance whose agent registered, then stopped answering. */
    abstract Arranged agentConnectionLost();

    /** A running instance whose agent is online. */
    abstract Arranged agentOnline();

    /** {@code operation} is throttled past the SDK's retries; the instance's agent is online. */
    abstract Arranged throttled(String operation);

    @Test
    void agentStatus_shouldBeNotRegistered_whenSsmDoesNotListTheInstance() {
        // SSM: DescribeInstanceInformation lists only managed nodes whose agent registered (INSTANCE_INFORMATION).
        var a = agentNotRegistered();
        assertThat(a.port().agentStatus(a.instanceId())).isEqualTo(AgentStatus.NOT_REGISTERED);
    }

    @Test
    void sendCommand_shouldBeAgentNotReady_whenTheAgentHasNotRegistered() {
        // SSM: SendCommand to a node whose agent is not registered (or not running) fails with InvalidInstanceId
        // (SEND_COMMAND, Errors); the launch waits for the agent instead of failing.
        var a = agentNotRegistered();
        assertRefused(() -> a.port().sendCommand(a.instanceId(), "zk-demo-bootstrap", Map.of(), "test",
                Duration.ofMinutes(10)), CloudException.AgentNotReady.class, "InvalidInstanceId");
    }

    @Test
    void agentStatus_shouldBeUnreachable_whenThePingStatusIsConnectionLost() {
        // SSM: a registered node whose agent stopped answering has PingStatus ConnectionLost (INSTANCE_INFORMATION).
        var a = agentConnectionLost();
        assertThat(a.port().agentStatus(a.instanceId())).isEqualTo(AgentStatus.UNREACHABLE);
    }

    @Test
    void sendCommand_shouldAnswerACommandIdShapedAsSsmSendsThem_whenTheAgentIsOnline() {
        // SSM: SendCommand answers the command with its CommandId, a UUID (SEND_COMMAND, Response Elements): the id
        // that the status events carry and the command-status function vets.
        var a = agentOnline();
        assertThat(a.port().agentStatus(a.instanceId())).isEqualTo(AgentStatus.ONLINE);
        var id = a.port().sendCommand(a.instanceId(), "zk-demo-bootstrap", Map.of("NodeId", "1"), "test",
                Duration.ofMinutes(10));
        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    }

    @Test
    void agentStatus_shouldBeThrottled_whenSsmKeepsSayingThrottlingException() {
        // SSM: throttled calls fail with ThrottlingException (SEND_COMMAND, Common Errors); what outlasts the SDK's
        // retries reaches the port as Throttled.
        var a = throttled("DescribeInstanceInformation");
        assertRefused(() -> a.port().agentStatus(a.instanceId()),
                CloudException.Throttled.class, "ThrottlingException");
    }
}
