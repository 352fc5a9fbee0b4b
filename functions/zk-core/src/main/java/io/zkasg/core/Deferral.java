package io.zkasg.core;

import static io.zkasg.core.JournalFields.fields;

import io.zkasg.core.model.InstanceView;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.Ec2Port;
import io.zkasg.core.port.Journal;
import io.zkasg.core.port.ResumeScheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Puts a lifecycle action aside for later instead of holding a Lambda asleep: a heartbeat when the hook needs one,
 * a delayed resume message, and the instance tag that names the one resume message that goes on.
 */
final class Deferral {

    private final Settings settings;
    private final Ec2Port ec2;
    private final AutoScalingPort autoScaling;
    private final ResumeScheduler scheduler;
    private final Journal journal;
    private final Clock clock;
    private final RandomGenerator random;

    Deferral(Settings settings, Ec2Port ec2, AutoScalingPort autoScaling, ResumeScheduler scheduler, Journal journal,
             Clock clock, RandomGenerator random) {
        this.settings = settings;
        this.ec2 = ec2;
        this.autoScaling = autoScaling;
        this.scheduler = scheduler;
        this.journal = journal;
        this.clock = clock;
        this.random = random;
    }

    /**
     * Why this resumption must stop, if another resume message superseded it (a duplicated event or message would
     * otherwise start a second line of resumptions that never merges with the first).
     */
    Optional<String> superseded(HookTicket ticket, InstanceView instance) {
        var chain = instance.tag(InstanceTags.RESUME_CHAIN);
        if (ticket.attempt() > 1 && chain.isPresent() && !chain.get().equals(ticket.chain())) {
            return Optional.of("resume message " + ticket.chain() + " was superseded by " + chain.get());
        }
        return Optional.empty();
    }

    /** Schedules the ticket's next advance; {@code step} names what waits (launch, terminate) in the log. */
    HookOutcome defer(HookTicket ticket, String step, String reason) {
        var now = clock.instant();
        var delay = settings.resumeDelay();
        var beat = keepAlive(ticket, step, delay);
        if (beat.isEmpty()) {
            var why = "the lifecycle action is over";
            return new HookOutcome.Ignored(why);
        }
        resumeLater(ticket.next(beat.get(), newChain()), now, delay);
        journal.record(step + "-deferred", fields(ticket.instanceId(), "reason", reason, "attempt", ticket.attempt(),
                "delaySeconds", delay.toSeconds()));
        return new HookOutcome.Deferred(reason, delay);
    }

    /** A fresh id for the next resume message of a chain. */
    String newChain() {
        return String.format("%016x", random.nextLong());
    }

    /**
     * Sends {@code next} to come back after {@code delay}, then names it on the instance as the one resumption that
     * goes on, with the wait stamp the reconciler reads.
     */
    void resumeLater(HookTicket next, Instant now, Duration delay) {
        scheduler.resumeLater(next, delay);
        // After the send, never before: the message named by the tag must be in flight. The wait stamp goes in the
        // same call, so the reconciler sees a chain that died (a lost message, a crash) once its stamp is old.
        var tags = new LinkedHashMap<String, String>();
        tags.put(InstanceTags.RESUME_CHAIN, next.chain());
        tags.put(InstanceTags.WAIT, new WaitStamp(now.plus(delay), next.startedAt(), next.lastHeartbeat(),
                next.ref().hookName()).format());
        try {
            ec2.tagInstance(next.instanceId(), tags);
        } catch (CloudException.NotFound e) {
            // Right after RunInstances EC2 may not know the instance yet (eventual consistency). The message is in
            // flight and no tag names another one, so it goes on; nothing else to do.
            journal.record("tag-deferred", fields(next.instanceId(), "code", e.code()));
        }
    }

    /**
     * Beats the hook when a wait of {@code ahead} from now, plus the reconciler's reaction to a wait that dies, would
     * not fit in what is left of the heartbeat timeout; and, for a wait shorter than {@link Settings#keepAliveAfter()}
     * (a deferral), when the heartbeat would be older than that at its end: a chain that goes on keeps its hook
     * beaten itself, the reconciler beats only the waits that died and the long ones (a command). Returns when the
     * heartbeat timer last restarted, or empty when the action is over (completed or timed out).
     */
    Optional<Instant> keepAlive(HookTicket ticket, String step, Duration ahead) {
        var now = clock.instant();
        var heartbeat = ticket.lastHeartbeat();
        var age = Duration.between(heartbeat, now.plus(ahead));
        var keepAliveAfter = settings.keepAliveAfter();
        if ((ahead.compareTo(keepAliveAfter) >= 0 || age.compareTo(keepAliveAfter) < 0)
                && age.plus(settings.reconcileReaction()).compareTo(settings.heartbeatTimeout()) < 0) {
            return Optional.of(heartbeat);
        }
        try {
            autoScaling.recordHeartbeat(ticket.ref());
            journal.record("heartbeat", fields(ticket.instanceId(), "hook", ticket.ref().hookName()));
            return Optional.of(now);
        } catch (CloudException.NoActiveLifecycleAction e) {
            var why = "the lifecycle action is over (" + e.code() + ")";
            journal.record(step + "-ignored", fields(ticket.instanceId(), "reason", why));
            return Optional.empty();
        }
    }

    /**
     * The wait stamp of a command just sent: its status is due within the command's timeout; {@code beat} is when the
     * hook's timer last restarted ({@link #keepAlive} before the send).
     */
    String commandStamp(HookTicket ticket, Instant beat) {
        return new WaitStamp(clock.instant().plus(settings.commandTimeout()), ticket.startedAt(), beat,
                ticket.ref().hookName()).format();
    }
}
