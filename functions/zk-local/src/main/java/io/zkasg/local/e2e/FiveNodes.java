package io.zkasg.local.e2e;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the five-node scenario ({@code make local SIZE=5}, issue 13) finds and checks: two members crash at the same
 * moment and the client's writes go on (three of five serve); a third failure while those two are away (its
 * ZooKeeper frozen: the ensemble is below quorum) is neither marked nor "fixed" by stopping anyone; the group's two
 * replacements rejoin from their kept volumes with a DIFF, quorum comes back, and only then is the frozen member
 * replaced.
 */
final class FiveNodes {

    private FiveNodes() {
    }

    /** The two crashes: writes while both were away (500 znodes) and the client's longest write gap meanwhile. */
    record TwoCrashes(int firstNode, int secondNode, boolean quorumKept, long awayWriteMs, long maxGapMs) {
    }

    /**
     * The window with two members away and a third one frozen: {@code checks} health runs, the most members any of
     * them saw serving, the instances marked and the stop commands sent meanwhile (both must stay empty).
     */
    record ThirdFailure(int frozenNode, int checks, int maxServing, List<String> marked, List<String> stops) {
    }

    /**
     * One replacement after the window: its node, the sync its ZooKeeper logged ({@code DIFF}, {@code SNAP},
     * {@code TRUNC}), seconds from the window's end to its launch in service.
     */
    record Rejoin(int nodeId, String instanceId, String reason, String sync, double inServiceS) {
    }

    /** What a run found. */
    record Result(List<E2eScenario.Launch> launches, TwoCrashes crashes, ThirdFailure third, List<Rejoin> rejoins,
                  double quorumBackS, double frozenMarkedS, int bgWritten, int sessionExpirations,
                  boolean connectUnchanged, String finalVerify, boolean finalComplete, long peakRssKib) {
    }

    /** {@code --nodes N} (3 when absent); only 3 and 5 have a scenario. */
    static int sizeOption(String[] args) {
        var list = Arrays.asList(args);
        int at = list.indexOf("--nodes");
        if (at < 0) {
            return 3;
        }
        var value = at + 1 < args.length ? args[at + 1] : "";
        if (!value.equals("3") && !value.equals("5")) {
            throw new IllegalArgumentException("--nodes takes 3 or 5 (the local scenarios), not '" + value + "'");
        }
        return Integer.parseInt(value);
    }

    /** The arguments without {@code --nodes N} (for the in-memory replay, which takes event files). */
    static String[] withoutSizeOption(String[] args) {
        var out = new ArrayList<String>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--nodes")) {
                i++;
            } else {
                out.add(args[i]);
            }
        }
        return out.toArray(String[]::new);
    }

    /** The checks of the issue, as messages; empty when all hold. */
    static List<String> failures(Result r) {
        var failures = new ArrayList<String>();
        var c = r.crashes();
        if (!c.quorumKept()) {
            failures.add("two crashes: writes did not go through while nodes " + c.firstNode() + " and "
                    + c.secondNode() + " were away");
        }
        if (c.maxGapMs() > E2eScenario.GAP_BOUND_MS) {
            failures.add("two crashes: the client could not write for " + c.maxGapMs() + " ms (bound "
                    + E2eScenario.GAP_BOUND_MS + " ms)");
        }
        var t = r.third();
        if (!t.marked().isEmpty() || !t.stops().isEmpty()) {
            failures.add("below quorum (node " + t.frozenNode() + " frozen, two away): marked " + t.marked()
                    + ", stopped " + t.stops() + "; nothing may be marked or stopped then");
        }
        if (t.maxServing() >= 3) {
            failures.add("below quorum was not seen: " + t.maxServing() + " of 5 served during the window");
        }
        for (var node : List.of(c.firstNode(), c.secondNode())) {
            var rejoin = r.rejoins().stream().filter(j -> j.nodeId() == node && j.reason().equals("crash"))
                    .findFirst();
            if (rejoin.isEmpty()) {
                failures.add("the crashed node " + node + " was not replaced");
            } else if (!rejoin.get().sync().equals("DIFF")) {
                failures.add("the crashed node " + node + " rejoined with " + rejoin.get().sync()
                        + ", expected DIFF from its kept volume");
            }
        }
        if (r.rejoins().stream().noneMatch(j -> j.nodeId() == t.frozenNode())) {
            failures.add("the frozen node " + t.frozenNode() + " was not replaced once quorum was back");
        } else if (!(r.frozenMarkedS() > r.quorumBackS())) {
            failures.add("the frozen node " + t.frozenNode() + " was marked at " + r.frozenMarkedS()
                    + " s, before quorum was back (" + r.quorumBackS() + " s)");
        }
        if (!r.connectUnchanged()) {
            failures.add("the client's connect string changed");
        }
        if (!r.finalComplete()) {
            failures.add("final read-back incomplete: " + r.finalVerify());
        }
        return failures;
    }

    static void print(PrintStream out, Result r) {
        out.println();
        out.println("== figures (5 nodes)");
        for (var l : r.launches()) {
            out.printf("launch node %d: event -> completed hook %.2f s%n", l.nodeId(), l.totalS());
        }
        var c = r.crashes();
        out.printf("two crashes at once (nodes %d and %d): 500 znodes written with both away in %d ms, longest write "
                + "gap %d ms%n", c.firstNode(), c.secondNode(), c.awayWriteMs(), c.maxGapMs());
        var t = r.third();
        out.printf("third failure (node %d frozen) with two away: %d health checks, at most %d of 5 serving, marked "
                + "%s, stopped %s%n", t.frozenNode(), t.checks(), t.maxServing(), t.marked(), t.stops());
        for (var j : r.rejoins()) {
            out.printf("replacement of node %d (%s): in service %.2f s after the window, rejoin %s%n", j.nodeId(),
                    j.reason(), j.inServiceS(), j.sync());
        }
        out.printf("quorum back %.2f s after the window; frozen node marked at %.2f s%n", r.quorumBackS(),
                r.frozenMarkedS());
        out.printf("client: %d background writes; connect string unchanged: %s; session expirations: %d; %s%n",
                r.bgWritten(), r.connectUnchanged(), r.sessionExpirations(), r.finalVerify());
        out.printf("peak memory (RSS of every process of the run): %.0f MiB%n", r.peakRssKib() / 1024.0);
    }
}
