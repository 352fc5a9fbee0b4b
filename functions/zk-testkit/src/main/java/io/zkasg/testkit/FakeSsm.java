package io.zkasg.testkit;

import io.zkasg.core.model.AgentStatus;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.SsmPort;
import io.zkasg.testkit.CloudState.Command;
import io.zkasg.testkit.CloudState.CommandInfo;
import io.zkasg.testkit.CloudState.Instance;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * SSM in memory, over the shared {@link CloudState}, with the rules this project depends on (held to them by
 * {@code SsmPortContract}): an instance is known once its agent registered, a while after it runs; a command goes only
 * to an online agent; each command ends with the status its outcome function gives, announced as status-change events;
 * a command on an instance that is gone ends Terminated. Its reads can trail: DescribeInstanceInformation lists an
 * agent a while after it registered ({@link #listingLag}), GetCommandInvocation knows an invocation a while after
 * SendCommand answered ({@link #invocationLag}). Thread-safe.
 */
public final class FakeSsm implements SsmPort {

    /** The operations this fake serves (their faults and throttling are SSM's). */
    public static final Set<String> OPERATIONS = Set.of("DescribeInstanceInformation", "SendCommand",
            "GetCommandInvocation");

    private final CloudState state;
    private final FakeEc2 ec2;
    private Function<String, Duration> agentDelay = id -> Duration.ZERO;
    private Function<CommandInfo, String> commandOutcome = c -> "Success";
    private Duration listingLag = Duration.ZERO;
    private Duration invocationLag = Duration.ZERO;
    /** When {@link #registerAgent} registered each agent. */
    private final Map<String, Instant> registeredAt = new HashMap<>();

    /** SSM over {@code state}, reading from {@code ec2} when an instance runs. */
    public FakeSsm(CloudState state, FakeEc2 ec2) {
        this.state = state;
        this.ec2 = ec2;
    }

    /** How long after it runs an instance's SSM agent registers. */
    public FakeSsm agentRegistration(Duration delay) {
        synchronized (state) {
            this.agentDelay = id -> delay;
        }
        return this;
    }

    /** Like {@link #agentRegistration(Duration)}, per instance id (the same answer for one id). */
    public FakeSsm agentRegistration(Function<String, Duration> delay) {
        synchronized (state) {
            this.agentDelay = delay;
        }
        return this;
    }

    /**
     * Decides the final status of each command (Success, Failed, TimedOut...); null means "still running", asked
     * again at each tick.
     */
    public FakeSsm commandOutcome(Function<CommandInfo, String> outcome) {
        synchronized (state) {
            this.commandOutcome = outcome;
        }
        return this;
    }

    /**
     * DescribeInstanceInformation lists an agent only this long after it registered, while SendCommand already
     * accepts the node: the listing is the agent's last report to SSM (InstanceInformation's LastPingDateTime), not
     * the agent's state now. 0 turns it off.
     */
    public FakeSsm listingLag(Duration value) {
        synchronized (state) {
            this.listingLag = value;
        }
        return this;
    }

    /**
     * GetCommandInvocation answers InvocationDoesNotExist for this long after SendCommand accepted the command (SSM's
     * own CommandExecuted waiter retries on that error for this reason). 0 turns it off.
     */
    public FakeSsm invocationLag(Duration value) {
        synchronized (state) {
            this.invocationLag = value;
        }
        return this;
    }

    /** The next {@code times} calls of {@code operation} are throttled as SSM does (ThrottlingException). */
    public FakeSsm throttle(String operation, int times) {
        state.failNext(OPERATIONS, operation, times,
                () -> new CloudException.Throttled("ThrottlingException", "Rate exceeded"));
        return this;
    }

    /** The instance's agent registers now. */
    public void registerAgent(String instanceId) {
        synchronized (state) {
            state.instances.get(instanceId).agentRegistered = true;
            registeredAt.putIfAbsent(instanceId, state.clock.instant());
        }
    }

    /** The instance's agent stops answering (SSM shows ConnectionLost). */
    public void agentLost(String instanceId) {
        synchronized (state) {
            state.instances.get(instanceId).agentLost = true;
        }
    }

    /** Every command accepted, in order. */
    public List<CommandInfo> commandsSent() {
        synchronized (state) {
            return state.commands.values().stream().map(c -> c.info).toList();
        }
    }

    /** Commands that ended at {@code now} get their final status and their two status events. Under the lock. */
    void tick(Instant now) {
        for (var command : state.commands.values()) {
            if (command.finalStatus == null && !now.isBefore(command.sentAt)) {
                var instance = state.instances.get(command.info.instanceId());
                command.finalStatus = instance == null || instance.terminated() ? "Terminated"
                        : commandOutcome.apply(command.info);
                if (command.finalStatus == null) {
                    continue; // still running
                }
                for (var status : new String[] {"InProgress", command.finalStatus}) {
                    state.outbox.add(new Delivery.CommandStatus(command.info.commandId(), command.info.instanceId(),
                            command.info.documentName(), status, now));
                }
            }
        }
    }

    @Override
    public AgentStatus agentStatus(String instanceId) {
        state.enter("DescribeInstanceInformation", false, true);
        synchronized (state) {
            state.fault("DescribeInstanceInformation");
            var instance = state.instances.get(instanceId);
            if (instance == null || !agentListed(instance)) {
                return AgentStatus.NOT_REGISTERED;
            }
            return instance.terminated() || instance.agentLost ? AgentStatus.UNREACHABLE : AgentStatus.ONLINE;
        }
    }

    @Override
    public String sendCommand(String instanceId, String documentName, Map<String, String> parameters,
                              String comment, Duration timeout) {
        state.enter("SendCommand", true, true);
        String id;
        synchronized (state) {
            state.fault("SendCommand");
            var instance = state.instances.get(instanceId);
            if (instance == null || !agentOnline(instance)) {
                throw new CloudException.AgentNotReady("InvalidInstanceId",
                        "Instances [[" + instanceId + "]] not in a valid state for account");
            }
            int sequence = state.nextSequence();
            id = String.format("%08x-1111-4222-8333-%012x", sequence, sequence);
            var info = new CommandInfo(id, instanceId, documentName, Map.copyOf(parameters), comment);
            state.commands.put(id, new Command(info, state.clock.instant()));
            state.notice(l -> l.onCommandSent(info));
        }
        state.flushNotices();
        return id;
    }

    /** GetCommandInvocation: the invocation's status, InProgress until it ended; empty for an unknown command. */
    @Override
    public Optional<String> commandStatus(String commandId, String instanceId) {
        state.enter("GetCommandInvocation", false, true);
        synchronized (state) {
            state.fault("GetCommandInvocation");
            var command = state.commands.get(commandId);
            if (command == null || !command.info.instanceId().equals(instanceId)
                    || state.clock.instant().isBefore(command.sentAt.plus(invocationLag))) {
                return Optional.empty();
            }
            return Optional.of(command.finalStatus == null ? "InProgress" : command.finalStatus);
        }
    }

    private boolean agentOnline(Instance instance) {
        return instance.agentRegistered || ec2.runningFor(instance, agentDelay.apply(instance.id));
    }

    /** Whether DescribeInstanceInformation lists the agent yet: {@link #listingLag} after it registered. */
    private boolean agentListed(Instance instance) {
        var registered = registeredAt.get(instance.id);
        if (instance.agentRegistered && (registered == null
                || !state.clock.instant().isBefore(registered.plus(listingLag)))) {
            return true;
        }
        return ec2.runningFor(instance, agentDelay.apply(instance.id).plus(listingLag));
    }
}
