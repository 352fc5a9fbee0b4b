package io.zkasg.local.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One replacement of the end-to-end scenario as a self-contained SVG (no script, no external service): on one time
 * axis, the client's write latency, which node leads, each node's state (serving, leaving, stopped, replaced,
 * rejoined) and the hook events. Built from what {@link Recording} sampled during the replacement.
 */
final class ReplacementPicture {

    /** A node's state in a sample. */
    enum State {
        SERVING("#2e7d32"), LEAVING("#f9a825"), STOPPED("#c62828"), REPLACED("#6a1b9a"), REJOINED("#1565c0");

        final String color;

        State(String color) {
            this.color = color;
        }

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What the scenario saw at one instant: each node's state and the leader (0: none). */
    record Sample(long atMs, Map<Integer, State> nodes, int leader) {
    }

    /** A write the client started at {@code atMs} that took {@code latencyMs} to be acknowledged. */
    record Write(long atMs, long latencyMs) {
    }

    /** Something the functions or the scenario did (a handler run, a crash...). */
    record Event(long atMs, String label) {
    }

    /** Everything one picture shows. */
    record Recording(String title, long startMs, long endMs, List<Write> writes, List<Sample> samples,
                     List<Event> events) {
    }

    private static final int WIDTH = 960;
    private static final int LEFT = 110;
    private static final int RIGHT = 20;
    private static final int PLOT_TOP = 40;
    private static final int PLOT_HEIGHT = 150;
    private static final int LANE = 22;

    private ReplacementPicture() {
    }

    static String svg(Recording r) {
        var nodes = new ArrayList<Integer>();
        r.samples().forEach(s -> s.nodes().keySet().forEach(n -> {
            if (!nodes.contains(n)) {
                nodes.add(n);
            }
        }));
        nodes.sort(Integer::compare);
        long span = Math.max(1, r.endMs() - r.startMs());
        int lanesTop = PLOT_TOP + PLOT_HEIGHT + 30;
        int eventsTop = lanesTop + (nodes.size() + 1) * LANE + 20;
        int height = eventsTop + 14 * Math.max(1, r.events().size()) + 50;
        var b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">%n", WIDTH, height, WIDTH,
                height));
        b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, height));
        b.append(text(LEFT, 20, escape(r.title()), "font-size=\"14\" font-weight=\"bold\""));

        // Write latency: one bar per write (the slowest of each 50 ms), on a square-root scale up to the worst.
        long worst = Math.max(10, r.writes().stream().mapToLong(Write::latencyMs).max().orElse(10));
        b.append(text(8, PLOT_TOP + 10, "write latency", ""));
        b.append(text(8, PLOT_TOP + 24, "(ms, sqrt scale)", "fill=\"#666\""));
        for (long tick : ticks(worst)) {
            double y = PLOT_TOP + PLOT_HEIGHT - PLOT_HEIGHT * Math.sqrt((double) tick / worst);
            b.append(line(LEFT, y, WIDTH - RIGHT, y, "#eee"));
            b.append(text(LEFT - 6, y + 4, Long.toString(tick), "text-anchor=\"end\" fill=\"#666\""));
        }
        for (var w : r.writes()) {
            double x = x(w.atMs(), r, span);
            double h = Math.max(1, PLOT_HEIGHT * Math.sqrt((double) w.latencyMs() / worst));
            b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"1.5\" height=\"%.1f\" "
                    + "fill=\"%s\"/>%n", x, PLOT_TOP + PLOT_HEIGHT - h, h, w.latencyMs() >= 1000 ? "#c62828"
                    : "#455a64"));
        }
        b.append(line(LEFT, PLOT_TOP + PLOT_HEIGHT, WIDTH - RIGHT, PLOT_HEIGHT + PLOT_TOP, "#999"));

        // Lanes: the leader, then each node's state, drawn from one sample to the next.
        b.append(text(8, lanesTop + 15, "leader", ""));
        for (int i = 0; i < nodes.size(); i++) {
            b.append(text(8, lanesTop + (i + 1) * LANE + 15, "node " + nodes.get(i), ""));
        }
        for (int s = 0; s < r.samples().size(); s++) {
            var sample = r.samples().get(s);
            long until = s + 1 < r.samples().size() ? r.samples().get(s + 1).atMs() : r.endMs();
            double x0 = x(sample.atMs(), r, span);
            double w = Math.max(0.5, x(until, r, span) - x0);
            if (sample.leader() > 0) {
                b.append(rect(x0, lanesTop + 3, w, LANE - 6, "#37474f"));
                if (s == 0 || r.samples().get(s - 1).leader() != sample.leader()) {
                    b.append(text(x0 + 3, lanesTop + 15, "node " + sample.leader(), "fill=\"white\""));
                }
            }
            for (int i = 0; i < nodes.size(); i++) {
                var state = sample.nodes().get(nodes.get(i));
                if (state != null) {
                    b.append(rect(x0, lanesTop + (i + 1) * LANE + 3, w, LANE - 6, state.color));
                }
            }
        }
        // Legend of the states.
        double lx = LEFT;
        int ly = lanesTop + (nodes.size() + 1) * LANE + 8;
        for (var state : State.values()) {
            b.append(rect(lx, ly - 8, 10, 10, state.color));
            b.append(text(lx + 14, ly + 1, state.label(), ""));
            lx += 90;
        }

        // Events: a dashed line across the picture and a numbered label below.
        int bottom = lanesTop + (nodes.size() + 1) * LANE;
        for (int i = 0; i < r.events().size(); i++) {
            var e = r.events().get(i);
            double x = x(e.atMs(), r, span);
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#1565c0\" "
                    + "stroke-dasharray=\"3,3\" stroke-width=\"0.8\"/>%n", x, PLOT_TOP, x, bottom));
            b.append(text(x + 2, PLOT_TOP - 4, Integer.toString(i + 1), "fill=\"#1565c0\""));
            b.append(text(LEFT, eventsTop + 14 * i + 12, String.format(Locale.ROOT, "%d. %+.2f s  %s", i + 1,
                    (e.atMs() - r.startMs()) / 1000.0, escape(e.label())), "fill=\"#1565c0\""));
        }
        // Time axis.
        int axis = eventsTop + 14 * Math.max(1, r.events().size()) + 20;
        b.append(line(LEFT, axis, WIDTH - RIGHT, axis, "#999"));
        double step = niceStep(span / 1000.0);
        for (double t = 0; t * 1000 <= span; t += step) {
            double x = x(r.startMs() + (long) (t * 1000), r, span);
            b.append(line(x, axis, x, axis + 4, "#999"));
            b.append(text(x, axis + 16, String.format(Locale.ROOT, "%.0f s", t), "text-anchor=\"middle\""));
        }
        b.append("</svg>\n");
        return b.toString();
    }

    /** The scenario's own view of a node, from its group state and what it answers to srvr. */
    static State state(boolean original, String lifecycle, String mode) {
        boolean serving = "leader".equals(mode) || "follower".equals(mode);
        if (lifecycle == null || lifecycle.isEmpty() || lifecycle.equals("Terminated")) {
            return State.STOPPED;
        }
        if (lifecycle.startsWith("Terminating")) {
            return State.LEAVING;
        }
        if (original) {
            return serving ? State.SERVING : State.STOPPED;
        }
        return serving ? State.REJOINED : State.REPLACED;
    }

    private static double x(long atMs, Recording r, long span) {
        return LEFT + (WIDTH - LEFT - RIGHT) * (double) (Math.min(Math.max(atMs, r.startMs()), r.endMs())
                - r.startMs()) / span;
    }

    private static List<Long> ticks(long worst) {
        var out = new ArrayList<Long>();
        for (long t : new long[] {10, 100, 1000, 10_000, 60_000}) {
            if (t <= worst) {
                out.add(t);
            }
        }
        out.add(worst);
        return out;
    }

    private static double niceStep(double seconds) {
        for (double s : new double[] {1, 2, 5, 10, 20, 30, 60, 120, 300}) {
            if (seconds / s <= 12) {
                return s;
            }
        }
        return 600;
    }

    private static String rect(double x, double y, double w, double h, String fill) {
        return String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>%n",
                x, y, w, h, fill);
    }

    private static String line(double x1, double y1, double x2, double y2, String stroke) {
        return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>%n",
                x1, y1, x2, y2, stroke);
    }

    private static String text(double x, double y, String content, String attributes) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" %s>%s</text>%n", x, y, attributes, content);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
