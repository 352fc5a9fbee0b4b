package io.zkasg.core;

import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Who may stop and who may be marked unhealthy, decided from the states of the ensemble's nodes alone, for any
 * ensemble size. The terminate hook's quorum guard and the health function both ask it; the majority formula lives
 * here and nowhere else. Pure: no clock, no cloud.
 *
 * <p>The majority is of the voters of the ensemble's current configuration (ZooKeeper's dynamic membership, read
 * from a serving member) when it is known: a node outside it (a new member syncing before it is added, a member
 * removed before its slot goes) neither counts toward it nor costs it anything. Without a configuration read, every
 * slot is a voter (the overloads without {@code voters}).
 *
 * <p>The decisions assume the stop lease (docs/quorum.md): a serving node is stopped only by the holder of the
 * cluster's one lease, after a final probe. So a member that is leaving but still serves ({@link NodeState#LEAVING})
 * keeps serving while someone else holds the lease: it cannot stop before it holds the lease itself, and then it
 * probes again.
 */
public final class QuorumPolicy {

    private QuorumPolicy() {
    }

    /** One node as the caller saw it: its ZooKeeper server and its instance's place in the group. */
    public enum NodeState {
        /** In service, answers as leader. */
        LEADER,
        /** In service, answers as follower. */
        FOLLOWER,
        /** Its instance leaves the group, and its server still answers as leader or follower. */
        LEAVING,
        /** Does not answer in time (frozen, a GC pause, no path to it): it may still serve, nobody knows. */
        STALLED,
        /** Known not to serve and not running: its host refused the connection (or its instance is gone). */
        DOWN,
        /**
         * Its server runs but answers outside a quorum ({@code imok}, then "not currently serving requests"): not
         * serving, but a voter. While the others serve as a majority it is merely catching up; while they do not, the
         * ensemble needs it (with its log, possibly part of the last quorum) to come back.
         */
        LOOKING,
        /** Its stop was sent or has ended. */
        STOPPED,
        /** Its instance is launching or rejoining and does not serve yet. */
        REJOINING,
        /** No instance holds the slot. */
        VACANT;

        /** Counts toward the majority. */
        public boolean serving() {
            return this == LEADER || this == FOLLOWER || this == LEAVING;
        }

        /** Stopping it cannot lower the number of serving nodes. A stall is not knowledge. */
        public boolean knownNotServing() {
            return this == DOWN || this == STOPPED || this == VACANT;
        }
    }

    /**
     * A decision.
     *
     * @param keepServing how many nodes serve once the decision is carried out
     * @param majority the majority of the ensemble
     * @param why one line for the log, built only when asked for ({@link #reason()}): the exhaustive tests ask
     *     millions of questions (it reads {@code nodes} then: callers do not change the map afterwards)
     */
    public record Verdict(boolean allowed, int keepServing, int majority, Supplier<String> why) {

        public String reason() {
            return why.get();
        }

        @Override
        public String toString() {
            return (allowed ? "allowed: " : "refused: ") + reason();
        }
    }

    /** The smallest number of servers that is more than half of {@code ensembleSize}. */
    public static int majority(int ensembleSize) {
        if (ensembleSize < 1) {
            throw new IllegalArgumentException("an ensemble has at least one server, not " + ensembleSize);
        }
        return ensembleSize / 2 + 1;
    }

    /**
     * May {@code self} (a leaving node, asked by the holder of the stop lease just before it stops) be stopped now?
     * Yes when it is known not to serve (stopping it changes nothing), or when the others that serve are a majority
     * of the ensemble without it. A stalled node may still serve: it is treated as serving. A {@link NodeState#LOOKING}
     * node does not serve, but it is a running voter: below quorum, stopping it would not lower the serving count,
     * it would lengthen the outage (quorum needs it back, and an instance refresh would keep it away until its
     * replacement joins), so it too may go only with a majority serving without it (docs/quorum.md).
     */
    public static Verdict mayStop(Map<Integer, NodeState> nodes, int self) {
        return mayStop(nodes, nodes.keySet(), self);
    }

    /**
     * {@link #mayStop(Map, int)} counting a majority of {@code voters} (the current configuration's participants):
     * a node that is not one of them may always go, its stop costs no vote.
     */
    public static Verdict mayStop(Map<Integer, NodeState> nodes, Set<Integer> voters, int self) {
        var own = state(nodes, self);
        int others = servingOthers(nodes, voters, self);
        int majority = majority(voters.size());
        if (!voters.contains(self)) {
            return new Verdict(true, others, majority, () -> "node " + self + " is not a voter of the current "
                    + "configuration " + voters + "; stopping it costs no vote");
        }
        if (own.knownNotServing()) {
            return new Verdict(true, others, majority, () -> "node " + self + " is " + own
                    + "; stopping it changes nothing");
        }
        if (others >= majority) {
            return new Verdict(true, others, majority, () -> others + " of " + voters.size()
                    + " keep serving without node " + self + " (a majority is " + majority + ")");
        }
        if (own == NodeState.LOOKING) {
            return new Verdict(false, others, majority, () -> "node " + self + " runs outside a quorum while only "
                    + others + " of " + voters.size() + " serve (a majority is " + majority + "): stopping it would "
                    + "take away a voter the ensemble needs to come back: " + notServing(nodes, voters, self));
        }
        return new Verdict(false, others + (own.serving() ? 1 : 0), majority, () -> "stopping node " + self
                + " now would leave " + others + " of " + voters.size() + " serving (a majority is " + majority
                + "): " + notServing(nodes, voters, self));
    }

    /**
     * May {@code sick} (a node whose checks failed) be marked unhealthy, so that Auto Scaling replaces it? Only when
     * it does not serve and the others that serve are a majority without it: then its replacement costs nothing,
     * whatever else is going on (a leaving node that still serves counts, since it stops only under the lease, after
     * its own check). When the rest is not a majority either, a replacement cannot bring quorum back by itself and a
     * person must look.
     */
    public static Verdict mayMark(Map<Integer, NodeState> nodes, int sick) {
        return mayMark(nodes, nodes.keySet(), sick);
    }

    /** {@link #mayMark(Map, int)} counting a majority of {@code voters} (the current configuration's participants). */
    public static Verdict mayMark(Map<Integer, NodeState> nodes, Set<Integer> voters, int sick) {
        var own = state(nodes, sick);
        int others = servingOthers(nodes, voters, sick);
        int majority = majority(voters.size());
        if (own.serving()) {
            return new Verdict(false, others + 1, majority, () -> "node " + sick + " serves (" + own + ")");
        }
        if (others >= majority) {
            return new Verdict(true, others, majority, () -> others + " of " + voters.size()
                    + " serve without node " + sick + " (a majority is " + majority + ")");
        }
        return new Verdict(false, others, majority, () -> "other nodes are not serving: "
                + notServing(nodes, voters, sick));
    }

    /**
     * Is the ensemble without a quorum around {@code self}, a node known not to serve: do fewer than a majority of
     * the others serve, counting a stalled node as serving (it may)? Then no serving node may be stopped anyway
     * ({@link #mayStop} refuses every serving one), and the stop of {@code self} need not keep the stop lease until
     * its replacement serves, which may never happen alone (docs/quorum.md, "the lease of a stop without quorum").
     */
    public static boolean withoutQuorum(Map<Integer, NodeState> nodes, int self) {
        return withoutQuorum(nodes, nodes.keySet(), self);
    }

    /** {@link #withoutQuorum(Map, int)} counting a majority of {@code voters}. */
    public static boolean withoutQuorum(Map<Integer, NodeState> nodes, Set<Integer> voters, int self) {
        if (!state(nodes, self).knownNotServing()) {
            return false;
        }
        int mayServe = 0;
        for (var id : voters) {
            var other = nodes.get(id);
            if (id != self && other != null && (other.serving() || other == NodeState.STALLED)) {
                mayServe++;
            }
        }
        return mayServe < majority(voters.size());
    }

    private static NodeState state(Map<Integer, NodeState> nodes, int node) {
        var state = nodes.get(node);
        if (state == null) {
            throw new IllegalArgumentException("node " + node + " is not in the ensemble " + nodes.keySet());
        }
        return state;
    }

    /** The voters other than {@code self} that serve; a voter without a slot (not in {@code nodes}) does not. */
    private static int servingOthers(Map<Integer, NodeState> nodes, Set<Integer> voters, int self) {
        int count = 0;
        for (var id : voters) {
            var other = nodes.get(id);
            if (id != self && other != null && other.serving()) {
                count++;
            }
        }
        return count;
    }

    /**
     * The other voters that do not serve, in the map's order (callers keep it by node id): "[1=VACANT, 3=DOWN]"; a
     * voter without a slot shows as VACANT, after them.
     */
    private static String notServing(Map<Integer, NodeState> nodes, Set<Integer> voters, int self) {
        var list = new StringBuilder("[");
        for (var e : nodes.entrySet()) {
            if (e.getKey() != self && voters.contains(e.getKey()) && !e.getValue().serving()) {
                list.append(list.length() > 1 ? ", " : "").append(e.getKey()).append('=').append(e.getValue());
            }
        }
        voters.stream().filter(id -> id != self && !nodes.containsKey(id)).sorted().forEach(id ->
                list.append(list.length() > 1 ? ", " : "").append(id).append('=').append(NodeState.VACANT));
        return list.append(']').toString();
    }
}
