package io.zkasg.core;

import static io.zkasg.core.QuorumPolicy.NodeState.DOWN;
import static io.zkasg.core.QuorumPolicy.NodeState.FOLLOWER;
import static io.zkasg.core.QuorumPolicy.NodeState.LEADER;
import static io.zkasg.core.QuorumPolicy.NodeState.LEAVING;
import static io.zkasg.core.QuorumPolicy.NodeState.LOOKING;
import static io.zkasg.core.QuorumPolicy.NodeState.REJOINING;
import static io.zkasg.core.QuorumPolicy.NodeState.STALLED;
import static io.zkasg.core.QuorumPolicy.NodeState.STOPPED;
import static io.zkasg.core.QuorumPolicy.NodeState.VACANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.zkasg.core.QuorumPolicy.NodeState;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every combination of node states for ensembles of 3, 5 and 7 (9^N maps, each node in turn as the one asked about):
 * the decision never leaves fewer than a majority serving unless the node itself is known not to serve, and allows
 * exactly what the counting rule (written here separately: "more than half") allows.
 */
class QuorumPolicyTest {

    private static final NodeState[] ALL = NodeState.values();
    /** Counted as serving by a lease holder: answers as leader or follower (a leaving one too). */
    private static final Set<NodeState> SERVING = EnumSet.of(LEADER, FOLLOWER, LEAVING);
    /** Stopping these cannot lower the count. STALLED is not among them: a stall is not down. */
    private static final Set<NodeState> KNOWN_NOT_SERVING = EnumSet.of(DOWN, STOPPED, VACANT);

    @ParameterizedTest(name = "N = {0}")
    @ValueSource(ints = {3, 5, 7})
    void mayStop_shouldKeepAMajorityServing_inEveryCombinationOfStates(int n) {
        var counts = new int[2];
        forEveryCombination(n, nodes -> {
            int servingBefore = serving(nodes, -1);
            for (int self = 1; self <= n; self++) {
                var verdict = QuorumPolicy.mayStop(nodes, self);
                int servingAfter = serving(nodes, self);
                boolean selfKnownDown = KNOWN_NOT_SERVING.contains(nodes.get(self));
                // The invariant: a majority keeps serving, unless stopping the node changes nothing.
                if (verdict.allowed() && !selfKnownDown && 2 * servingAfter <= n) {
                    fail(nodes + ": stopping node " + self + " leaves " + servingAfter + " of " + n + " serving");
                }
                if (verdict.allowed() && selfKnownDown && servingAfter != servingBefore) {
                    fail(nodes + ": stopping node " + self + " changed the serving count");
                }
                if (verdict.allowed() != (selfKnownDown || 2 * servingAfter > n) || verdict.majority() != n / 2 + 1) {
                    fail(nodes + ": stopping node " + self + " gave " + verdict);
                }
                counts[verdict.allowed() ? 0 : 1]++;
            }
        });
        // Both answers occur: the test does not pass by allowing everything or nothing.
        assertThat(counts[0]).isPositive();
        assertThat(counts[1]).isPositive();
        assertThat(counts[0] + counts[1]).isEqualTo(n * (int) Math.pow(ALL.length, n));
    }

    @ParameterizedTest(name = "N = {0}")
    @ValueSource(ints = {3, 5, 7})
    void mayMark_shouldOnlyMarkANodeThatDoesNotServe_whenTheOthersAreAMajority(int n) {
        var allowed = new int[1];
        forEveryCombination(n, nodes -> {
            for (int sick = 1; sick <= n; sick++) {
                var verdict = QuorumPolicy.mayMark(nodes, sick);
                int servingAfter = serving(nodes, sick);
                boolean expected = !SERVING.contains(nodes.get(sick)) && 2 * servingAfter > n;
                if (verdict.allowed() != expected) {
                    fail(nodes + ": marking node " + sick + " gave " + verdict);
                }
                if (verdict.allowed()) {
                    allowed[0]++;
                }
            }
        });
        assertThat(allowed[0]).isPositive();
    }

    @ParameterizedTest(name = "N = {0}")
    @ValueSource(ints = {3, 5, 7})
    void withoutQuorum_shouldHoldOnlyWhenNoServingNodeMayBeStopped_inEveryCombinationOfStates(int n) {
        var held = new int[2];
        forEveryCombination(n, nodes -> {
            for (int self = 1; self <= n; self++) {
                boolean without = QuorumPolicy.withoutQuorum(nodes, self);
                int mayServe = 0;
                for (var e : nodes.entrySet()) {
                    if (e.getKey() != self && (SERVING.contains(e.getValue()) || e.getValue() == STALLED)) {
                        mayServe++;
                    }
                }
                boolean expected = KNOWN_NOT_SERVING.contains(nodes.get(self)) && 2 * mayServe <= n;
                if (without != expected) {
                    fail(nodes + ": withoutQuorum(" + self + ") gave " + without);
                }
                // What makes the early release of its lease harmless: while it holds, no serving node may stop.
                for (int other = 1; without && other <= n; other++) {
                    if (!KNOWN_NOT_SERVING.contains(nodes.get(other)) && QuorumPolicy.mayStop(nodes, other).allowed()) {
                        fail(nodes + ": without a quorum around " + self + ", node " + other + " may still stop");
                    }
                }
                held[without ? 0 : 1]++;
            }
        });
        assertThat(held[0]).isPositive();
        assertThat(held[1]).isPositive();
    }

    @Test
    void mayStop_shouldLetAStalledNodeGoOnlyWithAMajorityBehindIt() {
        // A leader in a GC pause answers imok but not srvr: it is not known down (issue 15, item 4).
        assertThat(QuorumPolicy.mayStop(states(STALLED, DOWN, FOLLOWER), 1).allowed()).isFalse();
        assertThat(QuorumPolicy.mayStop(states(STALLED, LEADER, FOLLOWER), 1).allowed()).isTrue();
        assertThat(QuorumPolicy.mayStop(states(DOWN, DOWN, FOLLOWER), 1).allowed()).isTrue();
    }

    @Test
    void mayMark_shouldReplaceADownNode_whileAServingMemberLeaves() {
        // Issue 15, item 3: node 2 down, node 1 leaving (instance refresh) and still serving, node 3 serving.
        var verdict = QuorumPolicy.mayMark(states(LEAVING, DOWN, LEADER), 2);
        assertThat(verdict.allowed()).isTrue();
        assertThat(verdict.keepServing()).isEqualTo(2);
        // ...while node 1 itself may not stop: it waits for node 2's replacement.
        assertThat(QuorumPolicy.mayStop(states(LEAVING, DOWN, LEADER), 1).allowed()).isFalse();
        // Once node 1 stopped, a second down node is not marked: the rest is not a majority.
        assertThat(QuorumPolicy.mayMark(states(STOPPED, DOWN, LEADER), 2).reason())
                .contains("1=STOPPED");
        assertThat(QuorumPolicy.mayMark(states(REJOINING, DOWN, LEADER), 2).allowed()).isFalse();
    }

    @ParameterizedTest(name = "N = {0}")
    @ValueSource(ints = {3, 5, 7})
    void mayStop_shouldKeepALiveVoter_whileFewerThanAMajorityServeWithoutIt(int n) {
        // Below quorum every live server answers "not serving" (LOOKING): stopping one does not lower the serving
        // count, but it takes away a voter the ensemble needs to come back (docs/quorum.md). It goes exactly when a
        // majority serves without it; a server that does not run (DOWN) goes at once, as before.
        var checked = new int[1];
        forEveryCombination(n, nodes -> {
            for (int self = 1; self <= n; self++) {
                if (nodes.get(self) != LOOKING) {
                    continue;
                }
                boolean majorityWithout = 2 * serving(nodes, self) > n;
                if (QuorumPolicy.mayStop(nodes, self).allowed() != majorityWithout) {
                    fail(nodes + ": stopping the live voter " + self + " gave " + QuorumPolicy.mayStop(nodes, self));
                }
                checked[0]++;
            }
        });
        assertThat(checked[0]).isPositive();
        var belowQuorum = new LinkedHashMap<Integer, NodeState>();
        for (int i = 1; i <= n; i++) {
            belowQuorum.put(i, i <= n / 2 ? LOOKING : DOWN);
        }
        assertThat(QuorumPolicy.mayStop(belowQuorum, 1).reason()).contains("runs outside a quorum");
        belowQuorum.put(1, DOWN);
        assertThat(QuorumPolicy.mayStop(belowQuorum, 1).allowed()).isTrue();
    }

    @Test
    void majority_shouldBeMoreThanHalf() {
        assertThat(List.of(1, 2, 3, 4, 5, 6, 7).stream().map(QuorumPolicy::majority).toList())
                .containsExactly(1, 2, 2, 3, 3, 4, 4);
        assertThatThrownBy(() -> QuorumPolicy.majority(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QuorumPolicy.mayStop(states(LEADER), 2))
                .hasMessageContaining("not in the ensemble");
    }

    @ParameterizedTest(name = "voters {0} of five slots")
    @ValueSource(strings = {"1,2,3", "1,2,3,4", "1,2,3,4,5", "2,4"})
    void mayStopAndMayMark_shouldCountAMajorityOfTheVoters_notOfTheSlots(String list) {
        // GIVEN a configuration whose voters are some of the five slots (a grow or a shrink half done)
        var voters = new java.util.TreeSet<Integer>();
        for (var id : list.split(",")) {
            voters.add(Integer.parseInt(id));
        }
        int majority = voters.size() / 2 + 1;
        var counts = new int[3];
        forEveryCombination(5, nodes -> {
            for (int self = 1; self <= 5; self++) {
                // THEN a voter's stop keeps a majority of the voters serving (unless it does not serve itself), a
                // node outside the configuration may always go, and marking counts the voters alone
                int votersServingAfter = 0;
                for (int v : voters) {
                    votersServingAfter += v != self && SERVING.contains(nodes.get(v)) ? 1 : 0;
                }
                boolean selfKnownDown = KNOWN_NOT_SERVING.contains(nodes.get(self));
                var stop = QuorumPolicy.mayStop(nodes, voters, self);
                boolean expected = !voters.contains(self) || selfKnownDown || votersServingAfter >= majority;
                if (stop.allowed() != expected || stop.majority() != majority) {
                    fail(nodes + " voters " + voters + ": stopping node " + self + " gave " + stop);
                }
                var mark = QuorumPolicy.mayMark(nodes, voters, self);
                if (mark.allowed() != (!SERVING.contains(nodes.get(self)) && votersServingAfter >= majority)) {
                    fail(nodes + " voters " + voters + ": marking node " + self + " gave " + mark);
                }
                counts[!voters.contains(self) ? 2 : stop.allowed() ? 0 : 1]++;
            }
        });
        assertThat(counts[0]).isPositive();
        assertThat(counts[1]).isPositive();
        assertThat(counts[2]).isEqualTo(list.equals("1,2,3,4,5") ? 0 : (5 - voters.size()) * (int) Math.pow(9, 5));
    }

    @Test
    void mayStop_shouldCountAVoterWithoutASlotAsNotServing() {
        // GIVEN voters 1-5 but only slots 1-3 (slots 4 and 5 deleted before their members were removed)
        var nodes = states(LEADER, FOLLOWER, FOLLOWER);
        var verdict = QuorumPolicy.mayStop(nodes, Set.of(1, 2, 3, 4, 5), 2);
        // THEN stopping 2 would leave 2 of 5 voters serving: refused, and the log names the missing voters
        assertThat(verdict.allowed()).isFalse();
        assertThat(verdict.reason()).contains("2 of 5 serving (a majority is 3)").contains("4=VACANT, 5=VACANT");
    }

    private static Map<Integer, NodeState> states(NodeState... states) {
        var map = new LinkedHashMap<Integer, NodeState>();
        for (int i = 0; i < states.length; i++) {
            map.put(i + 1, states[i]);
        }
        return map;
    }

    private static int serving(Map<Integer, NodeState> nodes, int except) {
        int count = 0;
        for (var e : nodes.entrySet()) {
            if (e.getKey() != except && SERVING.contains(e.getValue())) {
                count++;
            }
        }
        return count;
    }

    /** Calls {@code check} with every map {1..n} -> state (ALL.length^n of them), reusing one map. */
    private static void forEveryCombination(int n, java.util.function.Consumer<Map<Integer, NodeState>> check) {
        var digits = new int[n];
        var nodes = new LinkedHashMap<Integer, NodeState>();
        long seen = 0;
        while (true) {
            for (int i = 0; i < n; i++) {
                nodes.put(i + 1, ALL[digits[i]]);
            }
            check.accept(nodes);
            seen++;
            int i = 0;
            while (i < n && ++digits[i] == ALL.length) {
                digits[i] = 0;
                i++;
            }
            if (i == n) {
                break;
            }
        }
        assertThat(seen).isEqualTo((long) Math.pow(ALL.length, n));
    }
}
