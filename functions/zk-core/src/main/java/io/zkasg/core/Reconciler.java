package io.zkasg.core;

import static io.zkasg.core.JournalFields.fields;

import io.zkasg.core.model.GroupMember;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.Ec2Port;
import io.zkasg.core.port.Journal;
import io.zkasg.core.port.Metrics;
import io.zkasg.core.port.Metrics.Metric;
import io.zkasg.core.port.ResumeScheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * No wait can die. Every lifecycle action of the group in Pending:Wait or Terminating:Wait waits for something: a
 * resume message, a command's status event. Each wait leaves a stamp on the instance ({@link InstanceTags#WAIT}) that
 * says until when. A message lost, a function that crashed between two calls, a message redelivered only after the
 * queue's visibility timeout, a status event that never came: the stamp gets old. Once it is older than the grace,
 * this re-drives the action the way a deferral would (a heartbeat, a resume message due at once, the chain tag that
 * names it), so the action still ends the way the functions decide (the quorum guard for a terminate), never by its
 * timeout. An action with no stamp at all (its first event was lost) is marked when first seen and re-driven a grace
 * later.
 *
 * <p>Tag reads lag behind writes: a stamp seen old may have been renewed a moment ago. Re-driving a live chain is
 * harmless: the use cases start from what EC2 shows, and the chain tag lets only one line of resumptions go on.
 *
 * <p>Each pass publishes what it found (cluster dimension): WaitingActions (actions in a wait), UnstampedWaits (first
 * seen without a stamp, marked now), StaleWaits (past their stamp and the grace), WaitsRedriven, ReconcileErrors
 * (an AWS call failed for one action); a pass that finds no action waiting publishes nothing.
 */
public final class Reconciler {

    /** One action this run re-drove or marked. */
    public record Redrive(String instanceId, String hook, String why) {
    }

    private final Settings settings;
    private final Ec2Port ec2;
    private final AutoScalingPort autoScaling;
    private final Journal journal;
    private final Clock clock;
    private final Deferral deferral;
    private final Metrics metrics;

    /** A stale wait, kept alive, to re-drive. */
    private record Stale(LifecycleRef ref, Instant started, Instant beat, String why) {
    }

    /** What one pass found, for its metrics. */
    private static final class Tally {
        int waiting;
        int unstamped;
        int stale;
        int errors;
    }

    public Reconciler(Settings settings, Ec2Port ec2, AutoScalingPort autoScaling, ResumeScheduler scheduler,
                      Journal journal, Metrics metrics, Clock clock, RandomGenerator random) {
        this.settings = settings;
        this.metrics = metrics;
        this.ec2 = ec2;
        this.autoScaling = autoScaling;
        this.journal = journal;
        this.clock = clock;
        this.deferral = new Deferral(settings, ec2, autoScaling, scheduler, journal, clock, random);
    }

    /** One pass over the group's waiting actions; returns those re-driven. A failure on one does not stop the rest. */
    public List<Redrive> reconcile() {
        var stale = new ArrayList<Stale>();
        var tally = new Tally();
        // Two passes: first every waiting action is looked at and, when overdue or stale, kept alive (a heartbeat
        // each); only then are the stale ones re-driven (a message and a tag each). A run that dies (a Lambda timeout)
        // while re-driving one action has then still kept the others alive: with one pass, the actions the group
        // lists after it went without a heartbeat in every run that died there (the model check, seeds 20266983 and
        // 20268399: four runs in a row, and a launch ended by its timeout).
        for (var member : autoScaling.groupMembers(settings.groupName())) {
            var hook = hookOf(member);
            if (hook.isEmpty()) {
                continue;
            }
            tally.waiting++;
            try {
                keepAlive(member.instanceId(), hook, tally).ifPresent(stale::add);
            } catch (CloudException e) {
                tally.errors++;
                journal.record("reconcile-failed", fields(member.instanceId(), "hook", hook, "code", e.code()));
            }
        }
        var redriven = new ArrayList<Redrive>();
        for (var s : stale) {
            try {
                redriven.add(redrive(s));
            } catch (CloudException e) {
                tally.errors++;
                journal.record("reconcile-failed", fields(s.ref().instanceId(), "hook", s.ref().hookName(), "code",
                        e.code()));
            }
        }
        if (tally.waiting == 0) {
            return List.of(); // nothing waits: no metric-hours for a quiet ensemble
        }
        metrics.publish(Map.of(), List.of(
                Metric.count("WaitingActions", tally.waiting),
                Metric.count("UnstampedWaits", tally.unstamped),
                Metric.count("StaleWaits", tally.stale),
                Metric.count("WaitsRedriven", redriven.size()),
                Metric.count("ReconcileErrors", tally.errors)), Map.of());
        return List.copyOf(redriven);
    }

    private String hookOf(GroupMember member) {
        return switch (member.lifecycleState()) {
            case "Pending:Wait" -> settings.launchHookName();
            case "Terminating:Wait" -> settings.terminateHookName();
            default -> "";
        };
    }

    /** Looks at one waiting action; keeps it alive when overdue; returns it when stale (kept alive, to re-drive). */
    private Optional<Stale> keepAlive(String instanceId, String hook, Tally tally) {
        var now = clock.instant();
        var found = ec2.describeInstance(instanceId);
        if (found.isEmpty()) {
            return Optional.empty(); // EC2 does not show it yet (or any more): the next run looks again
        }
        var instance = found.get();
        var stamp = WaitStamp.parse(instance.tag(InstanceTags.WAIT), hook);
        Instant staleAfter;
        Instant started;
        if (stamp.isPresent()) {
            staleAfter = stamp.get().until().plus(settings.reconcileGrace());
            started = stamp.get().started();
        } else {
            var seen = WaitStamp.parseSeen(instance.tag(InstanceTags.WAIT_SEEN), hook);
            if (seen.isEmpty()) {
                ec2.tagInstance(instanceId, Map.of(InstanceTags.WAIT_SEEN, WaitStamp.seen(now, hook)));
                journal.record("wait-seen", fields(instanceId, "hook", hook));
                tally.unstamped++;
                return Optional.empty();
            }
            staleAfter = seen.get().plus(settings.reconcileGrace());
            started = seen.get();
        }
        var ref = new LifecycleRef(settings.groupName(), hook, instanceId, null);
        if (now.isBefore(staleAfter)) {
            if (stamp.isPresent() && !now.isBefore(stamp.get().until())) {
                // Overdue, within the grace: the action was last kept alive when its wait began, so only the heartbeat
                // timeout minus that wait is left for the re-drive, which a lost or crashed scheduled run can eat
                // (the model check, seed 20261359). A heartbeat now gives the re-drive after the grace a full period.
                try {
                    autoScaling.recordHeartbeat(ref);
                    journal.record("wait-overdue-kept-alive", fields(instanceId, "hook", hook, "overdueSeconds",
                            Duration.between(stamp.get().until(), now).toSeconds()));
                } catch (CloudException.NoActiveLifecycleAction e) {
                    // ended meanwhile
                }
            }
            return Optional.empty();
        }
        tally.stale++;
        var why = stamp.isPresent()
                ? "its wait ended " + Duration.between(stamp.get().until(), now).toSeconds() + " s ago"
                : "it waits without any stamp (its event was lost)";
        try {
            autoScaling.recordHeartbeat(ref);
        } catch (CloudException.NoActiveLifecycleAction e) {
            return Optional.empty(); // ended meanwhile: nothing to re-drive
        }
        return Optional.of(new Stale(ref, started, now, why));
    }

    /** Re-drives a stale wait, kept alive just before, the way a deferral would. */
    private Redrive redrive(Stale stale) {
        var now = clock.instant();
        var ref = stale.ref();
        // attempt 2: a resumption, so the chain tag decides which line goes on. Due after the resume delay, as a
        // deferral's: the chain tag must be written before the message is read. The hook's timer restarted with
        // the first pass's heartbeat.
        deferral.resumeLater(new HookTicket(ref, stale.started(), stale.beat(), 2, deferral.newChain()), now,
                settings.resumeDelay());
        journal.record("wait-redriven", fields(ref.instanceId(), "hook", ref.hookName(), "reason", stale.why()));
        return new Redrive(ref.instanceId(), ref.hookName(), stale.why());
    }
}
