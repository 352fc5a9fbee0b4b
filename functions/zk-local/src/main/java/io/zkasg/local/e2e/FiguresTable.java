package io.zkasg.local.e2e;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The closing table of {@code make local}: one row per launch and per replacement of the end-to-end scenario, then the
 * client and memory figures, in the shape of the README's benchmark table, so a run ends with what it measured.
 */
final class FiguresTable {

    private static final List<String> HEAD = List.of("step", "node", "event -> hook", "rejoin", "received",
            "writes missed", "longest write gap");

    private FiguresTable() {
    }

    static List<List<String>> rows(E2eScenario.Result r) {
        var rows = new ArrayList<List<String>>();
        for (var l : r.launches()) {
            rows.add(List.of("launch", Integer.toString(l.nodeId()), seconds(l.totalS()), "-", "-", "-", "-"));
        }
        for (var rep : r.replacements()) {
            rows.add(List.of(rep.kind(), Integer.toString(rep.nodeId()), seconds(rep.launch().totalS()), rep.sync(),
                    String.format(Locale.ROOT, "%.2f MiB", rep.rxBytes() / 1048576.0),
                    Long.toString(rep.missedWrites()), rep.maxGapMs() + " ms"));
        }
        var f = r.frozen();
        if (f != null) {
            rows.add(List.of("frozen (SIGSTOP)", Integer.toString(f.nodeId()),
                    seconds(f.freezeToServingS()) + " to serving", "checks until marked: " + f.checksUntilMarked(),
                    "-", "-", "-"));
        }
        for (var pair : r.twoLeavers()) {
            rows.add(List.of("two leavers, " + pair.kind(), pair.firstNode() + ", " + pair.secondNode(),
                    "second stop " + seconds(pair.secondStopS() - pair.firstReplacementServingS())
                            + " after first replacement serves", "-", "-", "-", pair.maxGapMs() + " ms"));
        }
        var lost = r.lostResume();
        if (lost != null) {
            rows.add(List.of("lost resume, terminate waits", Integer.toString(lost.leavingNode()),
                    "re-driven " + seconds(lost.redriveS()) + " after the loss", "-", "-",
                    "stops while below majority: " + lost.stopsWhileDown() + ", ended by " + lost.endedBy(),
                    lost.maxGapMs() + " ms"));
        }
        rows.add(List.of("client", "-", "-", "-", r.preWritten() + " + " + r.bgWritten() + " znodes",
                "sessions expired: " + r.sessionExpirations(),
                "connect string unchanged: " + (r.connectUnchanged() ? "yes" : "NO")));
        rows.add(List.of("peak memory", "-", "-", "-", String.format(Locale.ROOT, "%.0f MiB", r.peakRssKib() / 1024.0),
                "-", "-"));
        return rows;
    }

    /** Prints the table with aligned columns, in Markdown form (pastes into docs/benchmarks.md as it is). */
    static void print(PrintStream out, E2eScenario.Result r) {
        var rows = rows(r);
        var widths = new int[HEAD.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = HEAD.get(c).length();
            for (var row : rows) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        out.println();
        out.println("== figures table");
        out.println(line(HEAD, widths));
        var rule = new ArrayList<String>();
        for (var w : widths) {
            rule.add("-".repeat(w));
        }
        out.println(line(rule, widths));
        rows.forEach(row -> out.println(line(row, widths)));
    }

    private static String line(List<String> cells, int[] widths) {
        var b = new StringBuilder("|");
        for (int c = 0; c < cells.size(); c++) {
            b.append(' ').append(cells.get(c)).append(" ".repeat(widths[c] - cells.get(c).length())).append(" |");
        }
        return b.toString();
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.2f s", s);
    }
}
