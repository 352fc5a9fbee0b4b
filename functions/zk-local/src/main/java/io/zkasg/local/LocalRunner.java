package io.zkasg.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zkasg.flows.CloudDriver;
import io.zkasg.testkit.CloudState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Replays event files through the real handlers against the in-memory cloud, seeded with the demo cluster (three
 * slots in us-east-1a/b/c), and prints what happened: calls made, slot chosen, command parameters, hook result.
 * The way to replay events/ without AWS or Docker.
 */
public final class LocalRunner {

    static final List<String> DEFAULT_EVENTS = List.of("events/launch-us-east-1a.json",
            "events/launch-us-east-1b.json", "events/launch-us-east-1c.json", "events/launch-duplicate.json",
            "events/launch-test-notification.json", "events/launch-other-group.json", "events/malformed.json",
            "events/terminate-us-east-1b.json", "events/launch-us-east-1b-replacement.json");

    private final CloudDriver driver;
    private final PrintStream out;
    private final ByteArrayOutputStream journal;
    private final ObjectMapper json = new ObjectMapper();

    LocalRunner(PrintStream out, Instant start) {
        this.out = out;
        this.journal = new ByteArrayOutputStream();
        this.driver = CloudDriver.demo(1, new PrintStream(journal, true, StandardCharsets.UTF_8),
                CloudDriver.DEMO_ENV, 1, start);
    }

    /** The earliest event time among the files, so that recorded events replay as if they had just happened. */
    static Instant startOf(List<String> files) {
        var mapper = new ObjectMapper();
        var earliest = Instant.parse("2026-11-25T12:00:00Z");
        var found = false;
        for (var file : files) {
            try {
                var time = Instant.parse(mapper.readTree(Files.readAllBytes(Path.of(file))).path("time").asText());
                earliest = found && earliest.isBefore(time) ? earliest : time;
                found = true;
            } catch (IOException | java.time.format.DateTimeParseException e) {
                // not an event with a time: it does not move the start
            }
        }
        return earliest;
    }

    public static void main(String[] args) throws IOException {
        var files = new ArrayList<String>();
        var verbose = false;
        for (var arg : args) {
            if (arg.equals("--journal")) {
                verbose = true;
            } else if (arg.equals("-h") || arg.equals("--help")) {
                System.out.println("usage: LocalRunner [--journal] [event.json ...]   (default: " + DEFAULT_EVENTS
                        + ")");
                return;
            } else {
                files.add(arg);
            }
        }
        var replay = files.isEmpty() ? DEFAULT_EVENTS : files;
        var runner = new LocalRunner(System.out, startOf(replay));
        runner.banner();
        for (var file : replay) {
            runner.replay(Path.of(file), verbose);
        }
        runner.summary();
    }

    void banner() {
        out.println("zkasg local runner: the real handlers against an in-memory cloud (no AWS, no Docker)");
        out.println("cluster zk-demo, group zk-demo-asg, slots:");
        var cloud = driver.cloud();
        for (int i = 0; i < cloud.eniIds().size(); i++) {
            out.printf("  node %d  %-10s  %s  10.0.%d.10  %s%n", i + 1, CloudDriver.DEMO_AZS.get(i),
                    cloud.eniIds().get(i), i + 1, cloud.volumeIds().get(i));
        }
    }

    /** Replays one event file, then everything the cloud delivers in reply, until nothing is pending. */
    void replay(Path file, boolean verbose) throws IOException {
        var raw = Files.readAllBytes(file);
        var cloud = driver.cloud();
        cloud.clearCalls();
        journal.reset();
        var before = cloud.completions().size();
        var commandsBefore = cloud.commandsSent().size();
        out.println();
        out.println("== " + file);
        JsonNode root = null;
        try {
            root = json.readTree(raw);
        } catch (IOException e) {
            out.println("   (not valid JSON: delivered as it is)");
        }
        var detailType = root == null ? "" : root.path("detail-type").asText("");
        try {
            driver.clock().set(Instant.parse(root == null ? "" : root.path("time").asText("")));
        } catch (java.time.format.DateTimeParseException e) {
            // no event time: the clock stays where it is
        }
        Map<String, Object> result;
        if (detailType.contains("Lifecycle Action")) {
            var instanceId = root.path("detail").path("EC2InstanceId").asText("");
            var group = root.path("detail").path("AutoScalingGroupName").asText("");
            if (instanceId.matches("i-[0-9a-f]{8,17}") && !cloud.hasInstance(instanceId)
                    && detailType.contains("launch") && group.equals(driver.settings().groupName())) {
                var az = azOf(instanceId);
                cloud.launch(instanceId, az, root.path("detail").path("LifecycleActionToken").asText(null), false);
                cloud.tick(); // booted: the replay shows the uncontended path (tests cover a pending instance)
                out.println("   instance " + instanceId + " launched into " + az + " (pending lifecycle action)");
            }
            if (detailType.contains("terminate") && cloud.hasInstance(instanceId)
                    && group.equals(driver.settings().groupName())
                    && !cloud.lifecycleState(instanceId).startsWith("Terminat")) {
                cloud.terminate(instanceId, root.path("detail").path("LifecycleActionToken").asText(null), false);
                out.println("   instance " + instanceId + " is leaving the group (pending lifecycle action)");
            }
            result = detailType.contains("launch") ? driver.functions().launch(raw) : driver.functions().terminate(raw);
            out.println("   " + detailType + " -> " + result);
        } else if ("Scheduled Event".equals(detailType)) {
            result = driver.functions().health(raw);
            out.println("   " + detailType + " (health check) -> " + result);
        } else {
            result = driver.functions().commandStatus(raw);
            out.println("   " + (detailType.isEmpty() ? "event" : detailType) + " -> " + result);
        }
        driver.runUntilQuiet(Duration.ofMinutes(30));
        for (var line : driver.transcript()) {
            out.println("   then: " + line);
        }
        driver.clearTranscript();
        var sent = cloud.commandsSent();
        for (var command : sent.subList(commandsBefore, sent.size())) {
            {
                var shown = new TreeMap<>(command.parameters());
                shown.put("Bundle", "<" + command.parameters().getOrDefault("Bundle", "").length() + " base64 chars>");
                out.println("   command " + command.documentName() + " to " + command.instanceId() + ": " + shown);
            }
        }
        out.println("   AWS calls: " + countCalls(cloud.calls()));
        var completions = cloud.completions();
        out.println("   hook results: " + (completions.size() == before ? "none"
                : completions.subList(before, completions.size())));
        if (verbose) {
            journal.toString(StandardCharsets.UTF_8).lines().forEach(l -> out.println("   log " + l));
        }
    }

    void summary() {
        var cloud = driver.cloud();
        out.println();
        out.println("== slots at the end");
        for (int i = 0; i < cloud.eniIds().size(); i++) {
            out.printf("  node %d  ENI on %s, volume on %s%n", i + 1,
                    cloud.eniHolder(cloud.eniIds().get(i)).orElse("-"),
                    cloud.volumeHolder(cloud.volumeIds().get(i)).orElse("-"));
        }
    }

    static String countCalls(List<CloudState.Call> calls) {
        var counts = new LinkedHashMap<String, Integer>();
        calls.forEach(c -> counts.merge(c.operation() + (c.mutating() ? "*" : ""), 1, Integer::sum));
        long mutating = calls.stream().filter(CloudState.Call::mutating).count();
        return calls.size() + " (" + mutating + " mutating, marked *): " + counts;
    }

    /** The demo events name their AZ in the instance id: i-0aaa... is in us-east-1a, i-0bbb... in b, i-0ccc... in c. */
    static String azOf(String instanceId) {
        return switch (instanceId.charAt(3)) {
            case 'b' -> "us-east-1b";
            case 'c' -> "us-east-1c";
            default -> "us-east-1a";
        };
    }
}
