package io.zkasg.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.core.HealthUseCase.Node;
import io.zkasg.core.HealthUseCase.State;
import io.zkasg.core.MembershipReconciler.Change;
import io.zkasg.core.MembershipReconciler.Sent;
import io.zkasg.core.model.Membership;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The reconciler's pure parts: when a change counts as confirmed, and what its lease holder's name says. */
class MembershipReconcilerTest {

    private static final long V = 0x100000004L;

    /** A configuration of these voters at version {@link #V}. */
    private static Membership configuration(int... voters) {
        var servers = new TreeMap<Integer, Membership.Server>();
        for (int id : voters) {
            servers.put(id, new Membership.Server(id, ip(id), "participant"));
        }
        return new Membership(servers, V, -1);
    }

    private static String ip(int id) {
        return "10.0.1." + (10 + id);
    }

    /** Nodes 1..n in service: the ones in {@code down} failing, the others serving as followers. */
    private static List<Node> nodes(int n, int... down) {
        var nodes = new ArrayList<Node>();
        for (int id = 1; id <= n; id++) {
            boolean failing = false;
            for (int d : down) {
                failing |= d == id;
            }
            nodes.add(new Node(id, ip(id), "a", "i-" + id, failing ? State.FAILING : State.SERVING,
                    failing ? "" : "follower", 0, ""));
        }
        return nodes;
    }

    @Test
    void unconfirmed_shouldWaitForTheAddedMember_toServeAndReportTheNewVersion() {
        var add = new Change(true, 4, ip(4));
        var configuration = configuration(1, 2, 3, 4);

        // its own conf still shows the version before the add
        assertThat(MembershipReconciler.unconfirmed(add, configuration, nodes(4),
                Map.of(1, V, 2, V, 3, V, 4, V - 1))).hasValue("node 4 reports version 100000003");
        // it does not serve (re-syncing as a participant)
        assertThat(MembershipReconciler.unconfirmed(add, configuration, nodes(4, 4),
                Map.of(1, V, 2, V, 3, V))).hasValue("node 4 does not serve as a follower yet");
        // both: confirmed, whatever the other members report
        assertThat(MembershipReconciler.unconfirmed(add, configuration, nodes(4, 2),
                Map.of(1, V, 3, V - 1, 4, V))).isEmpty();
    }

    @Test
    void unconfirmed_shouldWaitAfterARemove_untilAMajorityOfTheNewConfigurationServesWithIt() {
        var remove = new Change(false, 5, "");
        var configuration = configuration(1, 2, 3, 4);

        // two of four serve with the new version (3 lags, 4 is down): a majority is three
        assertThat(MembershipReconciler.unconfirmed(remove, configuration, nodes(5, 4),
                Map.of(1, V, 2, V, 3, V - 1, 5, V - 1))).hasValue(
                "2 of the 4 voters serve with this version, fewer than 3");
        // 3 caught up
        assertThat(MembershipReconciler.unconfirmed(remove, configuration, nodes(5, 4),
                Map.of(1, V, 2, V, 3, V))).isEmpty();
    }

    @Test
    void holderNames_shouldCarryTheChange_andOnceSentItsCommand() {
        var add = new Change(true, 4, "10.0.1.11");
        var noted = new Sent("i-0123", "2b5e6c1a-8f0e-4a4e-9d7e-0c1f2a3b4c5d").holder(add);

        assertThat(noted).isEqualTo("reconfig:add:4=10.0.1.11@i-0123/2b5e6c1a-8f0e-4a4e-9d7e-0c1f2a3b4c5d");
        assertThat(Change.ofHolder(noted)).contains(add);
        assertThat(Sent.ofHolder(noted)).contains(new Sent("i-0123", "2b5e6c1a-8f0e-4a4e-9d7e-0c1f2a3b4c5d"));
        assertThat(Change.ofHolder(add.holder())).contains(add);
        assertThat(Sent.ofHolder(add.holder())).isEmpty();
        assertThat(Change.ofHolder("reconfig:remove:5@i-9/c-1")).contains(new Change(false, 5, ""));
        assertThat(Sent.ofHolder("i-0123")).isEmpty();
        assertThat(Change.ofHolder("i-0123")).isEmpty();
    }
}
