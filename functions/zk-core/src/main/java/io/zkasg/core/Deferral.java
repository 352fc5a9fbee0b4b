package io.zkasg.core;

import static io.zkasg.core.SlotRelease.fields;

import io.zkasg.core.model.InstanceView;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.Ec2Port;
import io.zkasg.core.port.Journal;
import io.zkasg.core.port.ResumeScheduler;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
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
        var heartbeat = ticket.lastHeartbeat();
        // Keep the hook alive: beat when the next resumption would land past half of the heartbeat timeout.
        if (Duration.between(heartbeat, now.plus(delay)).compareTo(settings.heartbeatTimeout().dividedBy(2)) > 0) {
            try {
                autoScaling.recordHeartbeat(ticket.ref());
                heartbeat = now;
                journal.record("heartbeat", fields(ticket.instanceId(), "hook", ticket.ref().hookName()));
            } catch (CloudException.NoActiveLifecycleAction e) {
                var why = "the lifecycle action is over (" + e.code() + ")";
                journal.record(step + "-ignored", fields(ticket.instanceId(), "reason", why));
                return new HookOutcome.Ignored(why);
            }
        }
        var chain = String.format("%016x", random.nextLong());
        scheduler.resumeLater(ticket.next(heartbeat, chain), delay);
        // After the send, never before: the message named by the tag must be in flight.
        ec2.tagInstance(ticket.instanceId(), Map.of(InstanceTags.RESUME_CHAIN, chain));
        journal.record(step + "-deferred", fields(ticket.instanceId(), "reason", reason, "attempt", ticket.attempt(),
                "delaySeconds", delay.toSeconds()));
        return new HookOutcome.Deferred(reason, delay);
    }
}
