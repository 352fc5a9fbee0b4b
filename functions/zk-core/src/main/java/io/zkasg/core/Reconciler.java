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
import java.util.Collections;
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
 * later. Whatever its stamp says, an action whose last heartbeat (the stamp keeps it) is older than a third of the
 * heartbeat timeout gets one from every run: a wait that died keeps two thirds of the timeout, at least
 * {@link Settings#KEEP_ALIVE_RUNS} runs, for a run that gets through; each run visits the actions from another one.
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
    private final RandomGenerator random;

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
        this.random = random;
        this.ec2 = ec2;
        this.autoScaling = autoScaling;
        this.journal = journal;
        this.clock = clock;
        this.deferral = new Deferral(settings, ec2, autoScaling, scheduler, journal, clock, random);
    }

    /** One pass over the group's waiting actions; returns those re-driven. A failure on one does not stop the rest. */
    public List<Redrive> reconcile() {
        var waiting = new ArrayList<Map.Entry<String, String>>();
        for (var member : autoScaling.groupMembers(settings.groupName())) {
            var hook = hookOf(member);
            if (!hook.isEmpty()) {
                waiting.add(Map.entry(member.instanceId(), hook));
            }
        }
        if (waiting.isEmpty()) {
            return List.of(); // nothing waits: no metric-hours for a quiet ensemble
        }
        // Each run starts at another action: a run that dies (a Lambda timeout) part-way then leaves a different one
        // out each time, never the same one run after run because of where the group lists it.
        Collections.rotate(waiting, random.nextInt(waiting.size()));
        var stale = new ArrayList<Stale>();
        var tally = new Tally();
        tally.waiting = waiting.size();
        // Two passes: first every waiting action is looked at and, when its heartbeat is getting old or its wait is
        // stale, kept alive (a heartbeat each); only then are the stale ones re-driven (a message and a tag each). A
        // run that dies while re-driving one action has then still kept the others alive: with one pass, the actions
        // the group lists after it went without a heartbeat in every run that died there (the model check, seeds
        // 20266983 and 20268399: four runs in a row, and a launch ended by its timeout).
        for (var action : waiting) {
            try {
                keepAlive(action.getKey(), action.getValue(), tally).ifPresent(stale::add);
            } catch (CloudException e) {
                tally.errors++;
                journal.record("reconcile-failed", fields(action.getKey(), "hook", action.getValue(), "code",
                        e.code()));
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

    /**
     * Looks at one waiting action; keeps it alive when its last heartbeat is older than
     * {@link Settings#keepAliveAfter()} (or unknown), whatever its wait's end; returns it when stale (kept alive, to
     * re-drive).
     */
    private Optional<Stale> keepAlive(String instanceId, String hook, Tally tally) {
        var now = clock.instant();
        var found = ec2.describeInstance(instanceId);
        if (found.isEmpty()) {
            return Optional.empty(); // EC2 does not show it yet (or any more): the next run looks again
        }
        var instance = found.get();
        var ref = new LifecycleRef(settings.groupName(), hook, instanceId, null);
        var stamp = WaitStamp.parse(instance.tag(InstanceTags.WAIT), hook);
        Instant staleAfter;
        Instant started;
        Instant beat;
        if (stamp.isPresent()) {
            staleAfter = stamp.get().until().plus(settings.reconcileGrace());
            started = stamp.get().started();
            beat = stamp.get().beat();
        } else {
            var seen = WaitStamp.parseSeen(instance.tag(InstanceTags.WAIT_SEEN), hook);
            if (seen.isEmpty()) {
                // Its timer's start is unknown (its first event may have been lost long ago): a heartbeat first.
                if (beat(ref)) {
                    ec2.tagInstance(instanceId, Map.of(InstanceTags.WAIT_SEEN, WaitStamp.seen(now, hook)));
                    journal.record("wait-seen", fields(instanceId, "hook", hook));
                    tally.unstamped++;
                }
                return Optional.empty();
            }
            staleAfter = seen.get().plus(settings.reconcileGrace());
            started = seen.get();
            beat = Instant.EPOCH; // unknown
        }
        if (now.isBefore(staleAfter)) {
            // A live wait, or one that died and is not stale yet: a command's wait stamp (600 s of a 900 s heartbeat)
            // would leave the re-drive after it only 300 s, five scheduled runs that a few lost or crashed ones eat
            // (the model check, seeds 20300468 and 20303027). So whatever its stamp says, an action whose heartbeat
            // is older than a third of the timeout gets one now; a live chain beats itself before that (Deferral).
            var age = Duration.between(beat, now);
            if (age.compareTo(settings.keepAliveAfter()) >= 0 && beat(ref)) {
                journal.record("wait-kept-alive", fields(instanceId, "hook", hook, "heartbeatAgeSeconds",
                        beat.equals(Instant.EPOCH) ? "unknown" : age.toSeconds(), "waitEndsInSeconds",
                        Duration.between(now, staleAfter.minus(settings.reconcileGrace())).toSeconds()));
            }
            return Optional.empty();
        }
        tally.stale++;
        var why = stamp.isPresent()
                ? "its wait ended " + Duration.between(stamp.get().until(), now).toSeconds() + " s ago"
                : "it waits without any stamp (its event was lost)";
        if (!beat(ref)) {
            return Optional.empty(); // ended meanwhile: nothing to re-drive
        }
        return Optional.of(new Stale(ref, started, now, why));
    }

    /** Records a heartbeat; false when the action is over (completed or timed out meanwhile). */
    private boolean beat(LifecycleRef ref) {
        try {
            autoScaling.recordHeartbeat(ref);
            return true;
        } catch (CloudException.NoActiveLifecycleAction e) {
            return false;
        }
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
