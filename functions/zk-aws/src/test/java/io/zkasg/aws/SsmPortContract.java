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

    static final String GET_INVOCATION =
            "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetCommandInvocation.html";
    /** AWS's own service model: the CommandExecuted waiter retries on InvocationDoesNotExist (ssm 2014-11-06). */
    static final String WAITER_MODEL =
            "https://github.com/boto/botocore/blob/develop/botocore/data/ssm/2014-11-06/waiters-2.json";

    /** The port of one case and the instance it acts for. */
    record Arranged(SsmPort port, String instanceId) {
    }

    /** A running instance whose agent has not registered with SSM yet. */
    abstract Arranged agentNotRegistered();

    /** A running instance whose agent registered, then stopped answering. */
    abstract Arranged agentConnectionLost();

    /** A running instance whose agent is online. */
    abstract Arranged agentOnline();

    /** A running instance whose agent registered a moment ago: SendCommand accepts it, the listing trails. */
    abstract Arranged agentJustRegistered();

    /** A running instance whose agent is online; SSM knows an invocation only a while after SendCommand. */
    abstract Arranged invocationsTrail();

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

    @Test
    void agentStatus_mayStillBeNotRegistered_whileSendCommandAlreadyAcceptsTheNode() {
        // SSM: DescribeInstanceInformation shows what the agent last reported (INSTANCE_INFORMATION: PingStatus,
        // LastPingDateTime, RegistrationDate), so it trails the agent: a node whose agent has just registered may not
        // be listed yet although SendCommand accepts it (SEND_COMMAND). The launch reads NOT_REGISTERED and waits
        // for the listing; it never fails the launch on it.
        var a = agentJustRegistered();
        assertThat(a.port().agentStatus(a.instanceId())).isEqualTo(AgentStatus.NOT_REGISTERED);
        var id = a.port().sendCommand(a.instanceId(), "zk-demo-bootstrap", Map.of("NodeId", "1"), "test",
                Duration.ofMinutes(10));
        assertThat(id).isNotBlank();
    }

    @Test
    void commandStatus_shouldBeUnknown_rightAfterSendCommand_whenSsmDoesNotKnowTheInvocationYet() {
        // SSM: GetCommandInvocation answers InvocationDoesNotExist when the command and node match no invocation
        // (GET_INVOCATION, Errors), and it does so for a while after SendCommand: AWS's own CommandExecuted waiter
        // retries on exactly that error (WAITER_MODEL). The port answers "unknown" (empty), never a failure: a
        // re-driven launch or stop then leaves its hook to the status event or the next re-drive, and never takes
        // an unknown invocation for a lost or failed command.
        var a = invocationsTrail();
        var id = a.port().sendCommand(a.instanceId(), "zk-demo-bootstrap", Map.of("NodeId", "1"), "test",
                Duration.ofMinutes(10));
        assertThat(a.port().commandStatus(id, a.instanceId())).isEmpty();
    }
}
