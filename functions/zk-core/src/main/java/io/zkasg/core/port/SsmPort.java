package io.zkasg.core.port;

import io.zkasg.core.model.AgentStatus;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Systems Manager Run Command as the orchestrator needs it. */
public interface SsmPort {

    /** Whether the instance's agent is registered and online (one DescribeInstanceInformation filtered by id). */
    AgentStatus agentStatus(String instanceId);

    /**
     * Sends a command document to one instance and returns the command id. Parameters are single values, validated by
     * the caller. Throws {@link CloudException.AgentNotReady} while SSM does not know the instance yet.
     */
    String sendCommand(String instanceId, String documentName, Map<String, String> parameters, String comment,
                       Duration timeout);

    /**
     * The status of one command on one instance (one GetCommandInvocation): Pending, InProgress, Delayed, Success,
     * Cancelled, TimedOut, Failed, Cancelling...; empty when SSM does not know that invocation
     * ({@code InvocationDoesNotExist}). What the reconciler asks when a command's status event never came.
     */
    Optional<String> commandStatus(String commandId, String instanceId);
}
