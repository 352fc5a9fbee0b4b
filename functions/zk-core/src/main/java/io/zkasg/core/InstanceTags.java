package io.zkasg.core;

/** Tags the orchestrator writes on instances (besides the node-id tag, whose key is configurable). */
public final class InstanceTags {

    /** Id of the bootstrap command sent to the instance: a redelivered launch event then knows it is done. */
    public static final String BOOTSTRAP_COMMAND = "zkasg:bootstrap-command";
    /** How the stop of a leaving instance ended (a command status, or "unreachable"): its slot is being released. */
    public static final String STOP_ENDED = "zkasg:stop-ended";
    /** Id of the stop command sent to a terminating instance. */
    public static final String STOP_COMMAND = "zkasg:stop-command";
    /**
     * Written with the stop (its command's tag, or the unreachable stop's) when the quorum guard found the leaving
     * node not serving and fewer than a majority of the others serving ({@link QuorumPolicy#withoutQuorum}): its stop
     * lease is given back once its slot is off the instance, not when its replacement serves. A hint only: a read
     * that misses it keeps the lease until the replacement serves, the default.
     */
    public static final String STOPPED_WITHOUT_QUORUM = "zkasg:stopped-without-quorum";
    /** Set to {@code abandoned} before the slot of a failed launch is given back, so late events leave it alone. */
    public static final String LAUNCH = "zkasg:launch";
    public static final String ABANDONED = "abandoned";
    /**
     * The one resume message that goes on. Written only after that message was sent, so the message it names is
     * always in flight; any other resumption stops, and duplicated events or messages never multiply.
     */
    public static final String RESUME_CHAIN = "zkasg:resume-chain";

    /**
     * When the action's current wait should end and when the action started, for the hook it names:
     * {@code <until epoch s> <started epoch s> <hook name>}. Written with the tag of what it waits for (resume chain,
     * bootstrap or stop command) in one CreateTags; the health function's reconciler re-drives an action whose wait
     * is over by more than {@code RECONCILE_GRACE_SECONDS} (see {@link WaitStamp}).
     */
    public static final String WAIT = "zkasg:wait";
    /**
     * Written by the reconciler when it first sees an action waiting without a {@link #WAIT} stamp for its hook
     * (its first event was lost, or the function crashed before its first wait): {@code <epoch s> <hook name>}.
     */
    public static final String WAIT_SEEN = "zkasg:wait-seen";

    private InstanceTags() {
    }
}
