package io.zkasg.local.runtime;

import io.zkasg.core.HookTicket;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.flows.CloudDriver;
import io.zkasg.flows.Functions;
import io.zkasg.lambda.Wiring;
import io.zkasg.testkit.Delivery;
import io.zkasg.testkit.EventJson;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.stub.AwsStubServer;
import io.zkasg.testkit.stub.FakeCloudEndpoint;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Starts each function the way Lambda's Java runtime does: a JVM running the AWS Lambda Java runtime interface client
 * ({@code com.amazonaws.services.lambda.runtime.api.client.AWSLambda}), with the deployed jar under
 * {@code LAMBDA_TASK_ROOT/lib}, talking to a local Runtime API ({@link LocalRuntimeApi}) and, for AWS, to the local
 * AWS-shaped endpoint over the fake cloud. Per function: init duration (process start to its first
 * {@code /invocation/next}), first invoke, warm invoke (median), peak RSS; a trivial handler runs in the same way in
 * the same run as the baseline. A benchmark program, not a test: {@code make bench-runtime}.
 *
 * <p>Arguments: the artifact jar, the file holding the runtime interface client's class path, optionally the number
 * of warm invokes per run (default 20) and of runs of every function (default 5, interleaved).
 */
public final class RuntimeBench {

    private static final String ACCOUNT = "123456789012";
    /**
     * Lambda's Java runtime options for java17+ (tiered compilation stops at C1, the serial collector), and the two
     * properties its launcher sets: org.crac finds the runtime interface client's CRaC implementation (SnapStart's
     * hooks) by the first, the second keeps sockets on IPv4.
     */
    private static final List<String> JVM_FLAGS = List.of("-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC", "-Xshare:auto", "-Xmx435m",
            "-Dorg.crac.Core.Compat=com.amazonaws.services.lambda.crac", "-Djava.net.preferIPv4Stack=true");

    /** How Lambda starts the environment: a plain cold start, or SnapStart's init before its snapshot. */
    enum Mode {
        ON_DEMAND("on-demand"), SNAP_START("snap-start");

        final String initializationType;

        Mode(String initializationType) {
            this.initializationType = initializationType;
        }
    }

    private record Fn(String name, String handler, Function<Scene, byte[]> event, String expect) {
    }

    /**
     * One run. initMs: process start to the first {@code /invocation/next} (on demand) or to {@code /restore/next}
     * (SnapStart: the init and the beforeCheckpoint hooks, done once when a version is published); restoreMs
     * (SnapStart only): {@code /restore/next} answered to the first {@code /invocation/next} (the afterRestore hooks);
     * initCpuMs: the process's CPU time (user + system) at the end of its init.
     */
    private record Figures(String name, double initMs, double restoreMs, double firstMs, double warmMs, long rssKib,
                           double initCpuMs, String first, double firstFromMs, double firstToMs) {
    }

    /** One fresh fake cloud behind the stub, per invoke. */
    private record Scene(AwsStubServer stub, FakeCloud cloud, Functions local, Map<String, String> env) {
    }

    private RuntimeBench() {
    }

    public static void main(String[] args) throws Exception {
        var jar = Path.of(args[0]).toAbsolutePath();
        var ricClasspath = Files.readString(Path.of(args[1])).trim();
        int warm = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        var figuresOut = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        var work = Files.createTempDirectory("zk-runtime-bench");
        var appTask = work.resolve("task-zk");
        Files.createDirectories(appTask.resolve("lib"));
        Files.copy(jar, appTask.resolve("lib").resolve("zk-lambda.jar"));
        var trivialTask = work.resolve("task-trivial");
        var trivialClass = trivialTask.resolve("io/zkasg/local/runtime/TrivialHandler.class");
        Files.createDirectories(trivialClass.getParent());
        try (var in = RuntimeBench.class.getResourceAsStream("TrivialHandler.class")) {
            Files.write(trivialClass, in.readAllBytes());
        }

        var functions = List.of(
                new Fn("trivial", TrivialHandler.class.getName(), s -> launchEvent(s), "{}"),
                new Fn("LaunchHookFunction", "io.zkasg.lambda.LaunchHookHandler", RuntimeBench::launchEvent,
                        "CommandSent"),
                new Fn("CommandStatusFunction", "io.zkasg.lambda.CommandStatusHandler", RuntimeBench::statusEvent,
                        "outcome"),
                new Fn("LaunchResumeFunction", "io.zkasg.lambda.LaunchResumeHandler", RuntimeBench::resumeEvent,
                        "batchItemFailures"),
                new Fn("TerminateHookFunction", "io.zkasg.lambda.TerminateHookHandler",
                        RuntimeBench::terminateEvent, "outcome"),
                new Fn("HealthCheckFunction", "io.zkasg.lambda.HealthCheckHandler", s -> scheduledEvent(),
                        "outcome"));

        var runs = new LinkedHashMap<Mode, Map<String, List<Figures>>>();
        var profiles = new LinkedHashMap<Mode, Map<String, ClassLoads>>();
        var logs = new ArrayList<Path>();
        var loadBefore = loadAverage();
        try (var stub = AwsStubServer.start()) {
            var env = new HashMap<>(CloudDriver.DEMO_ENV);
            env.put("RESUME_QUEUE_URL", stub.endpoint() + "/" + ACCOUNT + "/zk-demo-resume");
            env.put("STOP_LEASE_TABLE", "zk-demo-stop-lease");
            // The in-process functions only build events (a resume ticket, a sent command); they are not measured.
            System.setProperty("aws.endpointUrl", stub.endpoint().toString());
            System.setProperty("aws.region", "us-east-1");
            System.setProperty("aws.accessKeyId", "AKIDEXAMPLE");
            System.setProperty("aws.secretAccessKey", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
            var quiet = System.out;
            System.setOut(new PrintStream(OutputStream.nullOutputStream()));
            var local = new Functions(Wiring.production(env));
            System.setOut(quiet);
            // Repetitions interleave the functions, so that a burst of load elsewhere hits all of them alike.
            for (int rep = 1; rep <= reps; rep++) {
                for (var mode : Mode.values()) {
                    for (var fn : functions) {
                        var task = fn.name().equals("trivial") ? trivialTask : appTask;
                        var log = work.resolve(fn.name() + "-" + mode.initializationType + "-" + rep + ".log");
                        logs.add(log);
                        var figures = run(fn, mode, task, ricClasspath, log, warm, new Scene(stub, null, local, env),
                                null);
                        runs.computeIfAbsent(mode, k -> new LinkedHashMap<>())
                                .computeIfAbsent(fn.name(), k -> new ArrayList<>()).add(figures);
                        figuresOut.printf(Locale.ROOT, "run %d %-10s %-22s init %5.0f ms (CPU %5.0f ms), restore "
                                + "%5.1f ms, first %6.1f ms, warm p50 %6.2f ms, RSS %4.0f MiB%n", rep,
                                mode.initializationType, fn.name(), figures.initMs(), figures.initCpuMs(),
                                figures.restoreMs(), figures.firstMs(), figures.warmMs(), figures.rssKib() / 1024.0);
                    }
                }
            }
            // Where the time goes: one more run of each in each mode with the JVM's class-load log (slower; not in
            // the figures).
            for (var mode : Mode.values()) {
                for (var fn : functions) {
                    var task = fn.name().equals("trivial") ? trivialTask : appTask;
                    var classLog = work.resolve(fn.name() + "-" + mode.initializationType + ".classes");
                    var figures = run(fn, mode, task, ricClasspath, work.resolve(fn.name() + "-"
                            + mode.initializationType + "-classes.log"), 1, new Scene(stub, null, local, env),
                            classLog);
                    profiles.computeIfAbsent(mode, k -> new LinkedHashMap<>()).put(fn.name(), ClassLoads.read(
                            classLog, figures.initMs() + figures.restoreMs(), figures.firstFromMs(),
                            figures.firstToMs()));
                }
            }
        }

        for (var mode : Mode.values()) {
            var byFunction = runs.get(mode);
            figuresOut.printf("%n%s: median of %d runs (min-max); warm = median of %d invokes per run%s%n",
                    mode.initializationType, reps, warm, mode == Mode.SNAP_START
                            ? "; init = the init and the beforeCheckpoint hooks (at publish), restore = the "
                            + "afterRestore hooks, first = the first invoke after them (no snapshot is taken here)"
                            : "");
            figuresOut.printf("%-22s %15s %7s %8s %9s %17s %9s %8s %7s%n", "function", "init ms", "x triv",
                    "CPU ms", "restore", "first ms", "warm ms", "RSS MiB", "x triv");
            var trivial = byFunction.get("trivial");
            double trivialInit = median(trivial, Figures::initMs);
            double trivialRss = median(trivial, f -> f.rssKib());
            for (var entry : byFunction.entrySet()) {
                var r = entry.getValue();
                figuresOut.printf(Locale.ROOT, "%-22s %5.0f (%3.0f-%4.0f) %7.2f %8.0f %9.1f %6.1f (%3.0f-%4.0f) "
                                + "%9.2f %8.0f %7.2f%n", entry.getKey(), median(r, Figures::initMs),
                        min(r, Figures::initMs), max(r, Figures::initMs), median(r, Figures::initMs) / trivialInit,
                        median(r, Figures::initCpuMs), median(r, Figures::restoreMs), median(r, Figures::firstMs),
                        min(r, Figures::firstMs), max(r, Figures::firstMs), median(r, Figures::warmMs),
                        median(r, f -> f.rssKib()) / 1024.0, median(r, f -> f.rssKib()) / trivialRss);
            }
        }
        profiles.forEach((mode, byFunction) -> {
            figuresOut.printf("%n%s: classes loaded (class-load log run) during init%s / during the first invoke, "
                    + "by origin%n", mode.initializationType, mode == Mode.SNAP_START ? " and the hooks" : "");
            byFunction.forEach((name, loads) -> figuresOut.printf("%-22s init %s%n%-22s first %s%n", name,
                    loads.init(), "", loads.first()));
        });
        long slf4j = 0;
        for (var log : logs) {
            slf4j += Files.readAllLines(log).stream().filter(l -> l.contains("SLF4J")).count();
        }
        figuresOut.printf("artifact %s: %d bytes; SLF4J lines in the runtimes' output: %d; JVM %s %s; logs in %s%n",
                jar.getFileName(), Files.size(jar), slf4j, System.getProperty("java.version"), JVM_FLAGS, work);
        figuresOut.printf("load average before: %s; after: %s; %d cores%n", loadBefore, loadAverage(),
                java.lang.Runtime.getRuntime().availableProcessors());
        for (var entry : runs.get(Mode.ON_DEMAND).entrySet()) {
            var first = entry.getValue().get(0).first();
            figuresOut.printf("first response of %s: %s%n", entry.getKey(),
                    first.length() > 160 ? first.substring(0, 160) + "..." : first);
        }
    }

    private static double median(List<Figures> runs, java.util.function.ToDoubleFunction<Figures> value) {
        var sorted = runs.stream().mapToDouble(value).sorted().toArray();
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }

    private static double min(List<Figures> runs, java.util.function.ToDoubleFunction<Figures> value) {
        return runs.stream().mapToDouble(value).min().orElse(Double.NaN);
    }

    private static double max(List<Figures> runs, java.util.function.ToDoubleFunction<Figures> value) {
        return runs.stream().mapToDouble(value).max().orElse(Double.NaN);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static Figures run(Fn fn, Mode mode, Path task, String ricClasspath, Path log, int warm, Scene base,
                               Path classLog) throws Exception {
        try (var api = new LocalRuntimeApi()) {
            var command = new ArrayList<String>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(JVM_FLAGS);
            if (classLog != null) {
                command.add("-Xlog:class+load=info:file=" + classLog + ":uptimemillis");
            }
            command.addAll(List.of("-cp", ricClasspath, "com.amazonaws.services.lambda.runtime.api.client.AWSLambda",
                    fn.handler() + "::handleRequest"));
            // The runtime interface client loads the function from its working directory (task root) and lib/*.jar.
            var builder = new ProcessBuilder(command).directory(task.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            var env = builder.environment();
            env.keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("JAVA_TOOL"));
            env.putAll(base.env());
            env.putAll(Map.of("AWS_LAMBDA_RUNTIME_API", api.address(), "LAMBDA_TASK_ROOT", task.toString(),
                    "_HANDLER", fn.handler() + "::handleRequest", "AWS_LAMBDA_FUNCTION_NAME", fn.name(),
                    "AWS_LAMBDA_FUNCTION_VERSION", "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512",
                    "AWS_REGION", "us-east-1", "AWS_DEFAULT_REGION", "us-east-1",
                    "AWS_ENDPOINT_URL", base.stub().endpoint().toString()));
            env.putAll(Map.of("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE",
                    "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                    "AWS_SESSION_TOKEN", "token", "AWS_EC2_METADATA_DISABLED", "true",
                    "AWS_LAMBDA_INITIALIZATION_TYPE", mode.initializationType, "AWS_LAMBDA_LOG_FORMAT", "Text"));
            long start = System.nanoTime();
            var process = builder.start();
            try {
                long initEnd = api.awaitInit(120);
                double initCpuMs = cpuMs(process.pid());
                var restore = api.restoreRequested();
                if ((restore != null) != (mode == Mode.SNAP_START)) {
                    throw new IllegalStateException(fn.name() + " (" + mode.initializationType + ") "
                            + (restore == null ? "never asked" : "asked") + " for /restore/next; see " + log);
                }
                var first = invoke(api, fn, base);
                var times = new ArrayList<Double>();
                for (int i = 0; i < warm; i++) {
                    times.add(invoke(api, fn, base).ms());
                }
                times.sort(null);
                long rss = peakRssKib(process.pid());
                if (!first.body().contains(fn.expect())) {
                    throw new IllegalStateException(fn.name() + " answered " + first.body() + "; see " + log);
                }
                double initMs = ((restore != null ? restore : initEnd) - start) / 1e6;
                double restoreMs = restore != null ? (initEnd - restore) / 1e6 : 0;
                return new Figures(fn.name(), initMs, restoreMs, first.ms(), times.get(times.size() / 2), rss,
                        initCpuMs, first.body(), (first.sentNanos() - start) / 1e6, (first.endNanos() - start) / 1e6);
            } finally {
                process.destroy();
                process.waitFor();
            }
        }
    }

    private record Timed(String body, double ms, long sentNanos, long endNanos) {
    }

    private static Timed invoke(LocalRuntimeApi api, Fn fn, Scene base) throws Exception {
        base.stub().reset();
        var scene = new Scene(base.stub(), seed(base.stub(), base.env()), base.local(), base.env());
        var event = fn.event().apply(scene);
        long sent = System.nanoTime();
        var outcome = api.invoke(event, 120);
        if (outcome.error()) {
            throw new IllegalStateException(fn.name() + " failed: " + outcome.body());
        }
        if (fn.name().equals("LaunchResumeFunction") && scene.cloud().commandsSent().isEmpty()) {
            throw new IllegalStateException("the resumed launch sent no bootstrap: " + outcome.body());
        }
        return new Timed(outcome.body(), (outcome.atNanos() - sent) / 1e6, sent, outcome.atNanos());
    }

    private static FakeCloud seed(AwsStubServer stub, Map<String, String> env) {
        var cloud = new FakeCloud(new FakeClock(Instant.now())).group("zk-demo-asg", "zk-demo-launch",
                "zk-demo-terminate", Duration.ofSeconds(900));
        for (int n = 1; n <= 3; n++) {
            cloud.addSlot("zkasg:cluster", "zk-demo", "zkasg:node-id", n, CloudDriver.DEMO_AZS.get(n - 1),
                    "10.0." + n + ".10");
        }
        FakeCloudEndpoint.serve(stub, cloud, io.zkasg.core.Settings.fromEnv(env).cluster());
        return cloud;
    }

    private static int instances;

    private static String nextInstanceId() {
        return String.format("i-0bbbbbbbbbbb%05x", ++instances);
    }

    /** A launch lifecycle event for a new instance (claims a slot and sends the bootstrap). */
    private static byte[] launchEvent(Scene scene) {
        var event = scene.cloud().launch(nextInstanceId(), "us-east-1a", null, false);
        scene.cloud().tick();
        return bytes(EventJson.lifecycle(event, Instant.now()));
    }

    /** The bootstrap's success event, for a launch the in-process functions just made. */
    private static byte[] statusEvent(Scene scene) {
        var sent = scene.local().launch(launchEvent(scene));
        if (!"CommandSent".equals(sent.get("outcome"))) {
            throw new IllegalStateException("set-up launch did not send its command: " + sent);
        }
        for (var delivery : scene.cloud().takeDue()) {
            if (delivery instanceof Delivery.CommandStatus status) {
                return bytes(EventJson.commandStatus(status, Instant.now()));
            }
        }
        throw new IllegalStateException("no command status after the set-up launch");
    }

    /** An SQS batch with one resume ticket for a new launch (the same work as the launch itself). */
    private static byte[] resumeEvent(Scene scene) {
        var event = scene.cloud().launch(nextInstanceId(), "us-east-1a", null, false);
        scene.cloud().tick();
        // A resume message as Deferral sends it: the second attempt of a chain (the first event was deferred).
        var ticket = new HookTicket(new LifecycleRef(event.groupName(), event.hookName(), event.instanceId(),
                event.token()), Instant.now(), Instant.now(), 2,
                "0123456789abcdef");
        var body = scene.local().encode(ticket);
        var record = Map.of("messageId", java.util.UUID.randomUUID().toString(), "receiptHandle", "rh",
                "body", body, "attributes", Map.of("ApproximateReceiveCount", "1"),
                "messageAttributes", Map.of(), "md5OfBody", "", "eventSource", "aws:sqs",
                "eventSourceARN", "arn:aws:sqs:us-east-1:" + ACCOUNT + ":zk-demo-resume", "awsRegion", "us-east-1");
        return bytes(json(Map.of("Records", List.of(record))));
    }

    /**
     * A terminate event for an instance that never got a slot: the hook completes without probing ZooKeeper (the
     * bench makes no connection outside 127.0.0.1).
     */
    private static byte[] terminateEvent(Scene scene) {
        var id = nextInstanceId();
        scene.cloud().launch(id, "us-east-1b", null, false);
        scene.cloud().tick();
        scene.cloud().takeDue();
        scene.cloud().terminate(id);
        for (var delivery : scene.cloud().takeDue()) {
            if (delivery instanceof Delivery.Lifecycle lifecycle && lifecycle.transition().contains("TERMINATING")) {
                return bytes(EventJson.lifecycle(lifecycle, Instant.now()));
            }
        }
        throw new IllegalStateException("no terminate event from the fake cloud");
    }

    /** EventBridge's scheduled event, as the health function's rule sends it. */
    private static byte[] scheduledEvent() {
        return bytes(json(Map.of("version", "0", "id", java.util.UUID.randomUUID().toString(),
                "detail-type", "Scheduled Event", "source", "aws.events", "account", ACCOUNT,
                "time", Instant.now().toString().replaceAll("\\.\\d+Z$", "Z"), "region", "us-east-1",
                "resources", List.of("arn:aws:events:us-east-1:" + ACCOUNT + ":rule/zk-demo-health"),
                "detail", Map.of())));
    }

    private static String json(Object value) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(value);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** CPU time (user + system) the process has used so far, from /proc (clock ticks of 10 ms). */
    private static double cpuMs(long pid) throws IOException {
        var stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        var fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // After the command name: state is field 3 of the line, utime 14 and stime 15.
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10.0;
    }

    private static long peakRssKib(long pid) throws IOException {
        for (var line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }
}
