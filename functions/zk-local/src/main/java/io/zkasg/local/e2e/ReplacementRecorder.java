package io.zkasg.local.e2e;

import io.zkasg.local.e2e.ReplacementPicture.Event;
import io.zkasg.local.e2e.ReplacementPicture.Recording;
import io.zkasg.local.e2e.ReplacementPicture.Sample;
import io.zkasg.local.e2e.ReplacementPicture.Write;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

/**
 * Records one replacement while it happens: a sampler thread asks every 500 ms for each node's state and the leader,
 * and drains the client's write latencies; the scenario hands over its timeline lines (hook handler runs, the crash,
 * the rejoin). {@link #finish} draws the picture.
 */
final class ReplacementRecorder {

    private static final long PERIOD_MS = 500;

    private final String title;
    private final long startMs = System.currentTimeMillis();
    private final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
    private final List<Write> writes = Collections.synchronizedList(new ArrayList<>());
    private final List<Event> events = Collections.synchronizedList(new ArrayList<>());
    private final Supplier<String> latencies;
    private final Thread sampler;
    private volatile boolean running = true;

    private ReplacementRecorder(String title, Supplier<Sample> sample, Supplier<String> latencies) {
        this.title = title;
        this.latencies = latencies;
        this.sampler = new Thread(() -> {
            while (running) {
                try {
                    samples.add(sample.get());
                    drain();
                    Thread.sleep(PERIOD_MS);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    // a sample that failed (a node going away mid-question) is just missing
                }
            }
        }, "replacement-recorder");
        sampler.setDaemon(true);
        sampler.start();
    }

    /** Starts sampling now. {@code latencies} answers the client's {@code lat} command ("lat t:ms,..." or "lat -"). */
    static ReplacementRecorder start(String title, Supplier<Sample> sample, Supplier<String> latencies) {
        return new ReplacementRecorder(title, sample, latencies);
    }

    /** A timeline line of the scenario: handler runs and the disruption itself become events. */
    void line(String line) {
        var text = line.strip();
        if (text.startsWith("handler: ")) {
            var label = text.substring("handler: ".length());
            var outcome = label.replaceAll(".*outcome=([A-Za-z]+).*", "$1");
            var result = label.replaceAll(".*result=([A-Z]+).*", "$1");
            label = label.replaceAll(" -> .*", "") + (outcome.equals(label) ? "" : " -> " + outcome)
                    + (result.equals(label) ? "" : " " + result);
            events.add(new Event(System.currentTimeMillis(), label));
        } else if (text.matches(".*(killed|dies|frozen|SIGSTOP|terminated|in service;|synced;|blank again).*")) {
            events.add(new Event(System.currentTimeMillis(), text.length() > 110 ? text.substring(0, 110) + "..."
                    : text));
        }
    }

    private void drain() {
        var reply = latencies.get();
        if (reply == null || !reply.startsWith("lat ") || reply.equals("lat -")) {
            return;
        }
        for (var pair : reply.substring(4).split(",")) {
            var parts = pair.split(":");
            writes.add(new Write(Long.parseLong(parts[0]), Long.parseLong(parts[1])));
        }
    }

    /** Stops sampling and writes the picture to {@code file}; returns it. */
    Path finish(Path file) throws IOException, InterruptedException {
        running = false;
        sampler.interrupt();
        sampler.join(5_000);
        drain();
        long endMs = System.currentTimeMillis();
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, ReplacementPicture.svg(new Recording(title, startMs, endMs, List.copyOf(writes),
                List.copyOf(samples), List.copyOf(events))));
        return file;
    }
}
