package io.zkasg.core;

import io.zkasg.core.port.ClusterTags;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Everything the orchestrator is configured with, read from environment variables and validated once at start-up:
 * a bad value fails fast with a message that names the variable.
 */
public record Settings(
        ClusterTags cluster,
        String groupName,
        String launchHookName,
        String terminateHookName,
        String bootstrapDocument,
        String stopDocument,
        int clientPort,
        int quorumPort,
        int electionPort,
        int eniDeviceIndex,
        String volumeDevice,
        Duration heartbeatTimeout,
        Duration launchMaxWait,
        Duration resumeDelay,
        Duration commandTimeout,
        Duration terminateMaxWait,
        Duration releaseForceAfter,
        Duration probeTimeout,
        Duration reconcileGrace,
        String zkDistUrl,
        String zkSha512,
        String stopLeaseTable,
        Duration stopLeaseTtl,
        Duration resumeVisibilityTimeout,
        int ensembleMembers) {

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    static final Pattern ASG_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,254}");
    static final Pattern TAG_KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._:/=+@-]{0,127}");
    static final Pattern DEVICE = Pattern.compile("/dev/(sd|xvd)[f-p]");
    static final Pattern HTTPS_URL = Pattern.compile("https://[A-Za-z0-9._~:/?#@&+,=%-]{1,512}");
    static final Pattern SHA512 = Pattern.compile("[0-9a-f]{128}");
    static final Pattern NAME_PREFIX = Pattern.compile("[A-Za-z0-9._-]{0,64}");
    /** A DynamoDB table name. */
    static final Pattern TABLE = Pattern.compile("[A-Za-z0-9_.-]{3,255}");

    /** How often the health function (and its reconciler) runs: its schedule, rate(1 minute) in template.yaml. */
    public static final Duration HEALTH_PERIOD = Duration.ofSeconds(60);
    /** The health function's own timeout (template.yaml): a run that re-drives can end this late. */
    public static final Duration HEALTH_RUN = Duration.ofSeconds(60);

    /**
     * The longest a dead wait goes unnoticed: its stamp's end, then the grace, then up to one schedule period until
     * the next health run, then that run itself. Every wait must leave the hook at least this much time.
     */
    public Duration reconcileReaction() {
        return reconcileGrace.plus(HEALTH_PERIOD).plus(HEALTH_RUN);
    }

    /**
     * How many scheduled health runs in a row may be lost or die (a Lambda crash, a throttle, an undelivered
     * schedule event) while a waiting action whose event was lost still gets a heartbeat from the reconciler in time.
     */
    public static final int KEEP_ALIVE_RUNS = 5;

    /**
     * How old a waiting action's last heartbeat may get before it needs another: a third of the heartbeat timeout.
     * A wait whose chain still runs beats its hook itself by then ({@link Deferral}); the reconciler beats every
     * waiting action whose stamp shows an older beat, whatever its wait's end, so the rest of the timeout spans
     * {@link #keepAliveRuns()} health runs. Before, it beat a wait only once its stamp had ended, and a command's
     * stamp (600 s of a 900 s timeout) left the action 300 s, five runs, for that (the model check, seeds 20300468
     * and 20303027: a stop's status event lost, the five runs after its stamp died or were lost).
     */
    public Duration keepAliveAfter() {
        return heartbeatTimeout.dividedBy(3);
    }

    /** How many health runs start between {@link #keepAliveAfter()} and the heartbeat timeout, less one run's time. */
    public long keepAliveRuns() {
        return heartbeatTimeout.minus(keepAliveAfter()).minus(HEALTH_RUN).toSeconds() / HEALTH_PERIOD.toSeconds();
    }

    /**
     * Whether node {@code nodeId} is one of the voting members ({@code ENSEMBLE_MEMBERS}, docs/sizing.md): the
     * launch claims only their slots and the health function's reconciler converges the configuration to them.
     */
    public boolean member(int nodeId) {
        return ensembleMembers == 0 || nodeId <= ensembleMembers;
    }

    /** Tag written on the instance: the node id it holds. */
    public String nodeIdTagKey() {
        return cluster.nodeIdTagKey();
    }

    /** Reads and validates the settings from an environment. */
    public static Settings fromEnv(Map<String, String> env) {
        var r = new Reader(env);
        var settings = new Settings(
                new ClusterTags(
                        r.text("CLUSTER_TAG_KEY", "zkasg:cluster", TAG_KEY),
                        r.required("CLUSTER_NAME", NAME),
                        r.text("NODE_ID_TAG_KEY", "zkasg:node-id", TAG_KEY),
                        r.text("LEGACY_NAME_PREFIX", "", NAME_PREFIX)),
                r.required("ASG_NAME", ASG_NAME),
                r.required("LAUNCH_HOOK_NAME", NAME),
                r.text("TERMINATE_HOOK_NAME", "", Pattern.compile("|" + NAME.pattern())),
                r.required("BOOTSTRAP_DOCUMENT", NAME),
                r.text("STOP_DOCUMENT", "", Pattern.compile("|" + NAME.pattern())),
                r.port("ZK_CLIENT_PORT", 2181),
                r.port("ZK_QUORUM_PORT", 2888),
                r.port("ZK_ELECTION_PORT", 3888),
                r.integer("ENI_DEVICE_INDEX", 1, 1, 15),
                r.text("VOLUME_DEVICE", "/dev/sdf", DEVICE),
                r.seconds("HEARTBEAT_TIMEOUT_SECONDS", 900, 30, 7200),
                r.seconds("LAUNCH_MAX_WAIT_SECONDS", 1800, 60, 172800),
                r.seconds("RESUME_DELAY_SECONDS", 15, 1, 900),
                r.seconds("COMMAND_TIMEOUT_SECONDS", 600, 30, 172800),
                r.seconds("TERMINATE_MAX_WAIT_SECONDS", 3600, 0, 172800),
                r.seconds("RELEASE_FORCE_AFTER_SECONDS", 120, 30, 3600),
                Duration.ofMillis(r.integer("ZK_PROBE_TIMEOUT_MILLIS", 2000, 100, 10000)),
                r.seconds("RECONCILE_GRACE_SECONDS", 60, 10, 3600),
                r.text("ZK_DIST_URL", "", Pattern.compile("|" + HTTPS_URL.pattern())),
                r.text("ZK_SHA512", "", Pattern.compile("|" + SHA512.pattern())),
                r.text("STOP_LEASE_TABLE", "", Pattern.compile("|" + TABLE.pattern())),
                r.seconds("STOP_LEASE_SECONDS", 1800, 60, 172800),
                // The resume queue's VisibilityTimeout (template.yaml passes the same mapping value); SQS allows
                // 0-43200 s.
                r.seconds("RESUME_VISIBILITY_TIMEOUT_SECONDS", 720, 0, 43200),
                // The voting members, always nodes 1..N (template.yaml: EnsembleSize, or ShrinkTo during a shrink);
                // 0: every slot.
                r.integer("ENSEMBLE_MEMBERS", 0, 0, 255));
        if (settings.zkDistUrl.isEmpty() != settings.zkSha512.isEmpty()) {
            throw new ConfigException("ZK_DIST_URL and ZK_SHA512 go together: set both or neither");
        }
        if (settings.resumeDelay.compareTo(settings.heartbeatTimeout.dividedBy(3)) > 0) {
            throw new ConfigException("RESUME_DELAY_SECONDS must be at most a third of HEARTBEAT_TIMEOUT_SECONDS, "
                    + "so that a waiting launch can send heartbeats in time");
        }
        settings.checkWaitsFitTheHook();
        // The holder renews its lease at every step of its terminate action; the longest gap is the stop command
        // itself (its status event is the next step), then a detach that still runs.
        var gap = settings.commandTimeout.plus(settings.releaseForceAfter).plus(settings.resumeDelay.multipliedBy(2));
        if (settings.stopLeaseTtl.compareTo(gap) < 0) {
            throw new ConfigException("STOP_LEASE_SECONDS must be at least COMMAND_TIMEOUT_SECONDS + "
                    + "RELEASE_FORCE_AFTER_SECONDS + 2 x RESUME_DELAY_SECONDS (" + gap.toSeconds() + " s), so that "
                    + "the stop lease cannot expire while its holder's stop still runs");
        }
        if (settings.clientPort == settings.quorumPort || settings.clientPort == settings.electionPort
                || settings.quorumPort == settings.electionPort) {
            throw new ConfigException("ZK_CLIENT_PORT, ZK_QUORUM_PORT and ZK_ELECTION_PORT must differ");
        }
        return settings;
    }

    /**
     * Refuses every combination where a wait could outlive the hook: a lifecycle action would then end by its
     * timeout (a launch ABANDONed, a terminate CONTINUEd with ZooKeeper running) instead of by the functions. A
     * deferral beats the hook so that its resume message plus the reconciler's reaction fit in one heartbeat timeout;
     * a command is sent right after a heartbeat and its wait stamp ends after the command's timeout. Two waits are not
     * stamped and are bounded here too: a resume message whose receive failed (a crash, a RetryLater) comes back only
     * after the queue's visibility timeout, which must fall inside the heartbeat the deferral gave it; and the release
     * phase of a terminate (it starts with a heartbeat when the stop ends) must reach its force-detach decision, even
     * through a lost message, within that heartbeat, so a stuck detach is decided by a function. And the heartbeat
     * timeout must leave the reconciler {@link #KEEP_ALIVE_RUNS} runs to keep a wait alive ({@link #keepAliveAfter()}).
     */
    private void checkWaitsFitTheHook() {
        var reaction = reconcileReaction();
        var hb = heartbeatTimeout.toSeconds();
        if (resumeDelay.plus(reaction).compareTo(heartbeatTimeout) >= 0) {
            throw new ConfigException("RESUME_DELAY_SECONDS (" + resumeDelay.toSeconds()
                    + ") + RECONCILE_GRACE_SECONDS (" + reconcileGrace.toSeconds()
                    + ") + 120 s (health schedule and run) must stay below HEARTBEAT_TIMEOUT_SECONDS (" + hb
                    + "), or a lost resume message lets the hook time out: "
                    + "lower RECONCILE_GRACE_SECONDS or RESUME_DELAY_SECONDS, or raise HEARTBEAT_TIMEOUT_SECONDS");
        }
        if (commandTimeout.plus(reaction).compareTo(heartbeatTimeout) >= 0) {
            throw new ConfigException("COMMAND_TIMEOUT_SECONDS (" + commandTimeout.toSeconds()
                    + ") + RECONCILE_GRACE_SECONDS (" + reconcileGrace.toSeconds() + ") + 120 s (health schedule and "
                    + "run) must stay below HEARTBEAT_TIMEOUT_SECONDS (" + hb + "), or a lost command status lets the "
                    + "hook time out: lower COMMAND_TIMEOUT_SECONDS or RECONCILE_GRACE_SECONDS, or raise "
                    + "HEARTBEAT_TIMEOUT_SECONDS");
        }
        if (resumeDelay.plus(resumeVisibilityTimeout).compareTo(heartbeatTimeout) >= 0) {
            throw new ConfigException("RESUME_VISIBILITY_TIMEOUT_SECONDS (" + resumeVisibilityTimeout.toSeconds()
                    + ", the resume queue's VisibilityTimeout) + RESUME_DELAY_SECONDS (" + resumeDelay.toSeconds()
                    + ") must stay below HEARTBEAT_TIMEOUT_SECONDS (" + hb + "), or a resume message redelivered "
                    + "after a failed receive comes back after the hook timed out: lower the queue's "
                    + "VisibilityTimeout (RESUME_VISIBILITY_TIMEOUT_SECONDS) or raise HEARTBEAT_TIMEOUT_SECONDS");
        }
        if (keepAliveRuns() < KEEP_ALIVE_RUNS) {
            var least = HEALTH_PERIOD.multipliedBy(KEEP_ALIVE_RUNS).plus(HEALTH_RUN).multipliedBy(3).dividedBy(2);
            throw new ConfigException("HEARTBEAT_TIMEOUT_SECONDS (" + hb + ") must be at least " + least.toSeconds()
                    + ": the health function keeps a waiting action whose event was lost alive once a third of it "
                    + "has passed since the action's last heartbeat, and the other two thirds must span "
                    + KEEP_ALIVE_RUNS + " of its runs (every " + HEALTH_PERIOD.toSeconds() + " s, each up to "
                    + HEALTH_RUN.toSeconds() + " s), or a few lost or crashed runs let the hook time out: "
                    + "raise HEARTBEAT_TIMEOUT_SECONDS");
        }
        if (releaseForceAfter.plus(resumeDelay).plus(reaction).compareTo(heartbeatTimeout) >= 0) {
            throw new ConfigException("RELEASE_FORCE_AFTER_SECONDS (" + releaseForceAfter.toSeconds()
                    + ") + RESUME_DELAY_SECONDS (" + resumeDelay.toSeconds() + ") + RECONCILE_GRACE_SECONDS ("
                    + reconcileGrace.toSeconds() + ") + 120 s (health schedule and run) must stay below "
                    + "HEARTBEAT_TIMEOUT_SECONDS (" + hb + "), or a stuck detach outlives the heartbeat its release "
                    + "phase starts with before it is forced or left to the termination: lower "
                    + "RELEASE_FORCE_AFTER_SECONDS or raise HEARTBEAT_TIMEOUT_SECONDS");
        }
    }

    /** A whole-number variable within bounds, for callers that have their own settings; fails naming it. */
    static int integer(Map<String, String> env, String name, int fallback, int min, int max) {
        return new Reader(env).integer(name, fallback, min, max);
    }

    /** Optional variable lookup for callers that have their own (adapter) settings. */
    public static Optional<String> optional(Map<String, String> env, String name) {
        return Optional.ofNullable(env.get(name)).map(String::strip).filter(v -> !v.isEmpty());
    }

    private record Reader(Map<String, String> env) {

        String required(String name, Pattern pattern) {
            var value = optional(env, name)
                    .orElseThrow(() -> new ConfigException(name + " is required and not set"));
            return check(name, value, pattern);
        }

        String text(String name, String fallback, Pattern pattern) {
            return check(name, optional(env, name).orElse(fallback), pattern);
        }

        int integer(String name, int fallback, int min, int max) {
            var raw = optional(env, name).orElse(Integer.toString(fallback));
            try {
                int value = Integer.parseInt(raw);
                if (value < min || value > max) {
                    throw new ConfigException(name + "=" + raw + " is outside " + min + ".." + max);
                }
                return value;
            } catch (NumberFormatException e) {
                throw new ConfigException(name + "=" + raw + " is not a whole number");
            }
        }

        int port(String name, int fallback) {
            return integer(name, fallback, 1, 65535);
        }

        Duration seconds(String name, int fallback, int min, int max) {
            return Duration.ofSeconds(integer(name, fallback, min, max));
        }

        private static String check(String name, String value, Pattern pattern) {
            if (!pattern.matcher(value).matches()) {
                throw new ConfigException(name + "=" + printable(value) + " does not match " + pattern.pattern());
            }
            return value;
        }

        private static String printable(String value) {
            var cut = value.length() > 80 ? value.substring(0, 80) + "..." : value;
            return "'" + cut.replaceAll("[^\\x20-\\x7e]", "?") + "'";
        }
    }
}
