package io.zkasg.local.hooks;

import io.zkasg.aws.AwsAutoScaling;
import io.zkasg.aws.AwsClients;
import io.zkasg.aws.AwsEc2;
import io.zkasg.aws.AwsSsm;
import io.zkasg.aws.DynamoStopLease;
import io.zkasg.aws.SqsResumeScheduler;
import io.zkasg.core.HealthSettings;
import io.zkasg.core.Settings;
import io.zkasg.flows.CloudDriver;
import io.zkasg.flows.Functions;
import io.zkasg.lambda.Wiring;
import io.zkasg.testkit.CloudState;
import io.zkasg.testkit.Delivery;
import io.zkasg.testkit.EventJson;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.FakeZk;
import io.zkasg.testkit.stub.AwsStubServer;
import io.zkasg.testkit.stub.FakeCloudEndpoint;
import io.zkasg.testkit.stub.TokenBuckets;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToLongFunction;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.regions.Region;

/**
 * The orchestrator's own overhead per launch hook under AWS's request throttling: N instances launch at once into one
 * group with N free slots (an instance refresh, a scale-out, an AZ coming back), on the fake cloud with realistic
 * latencies (attach 1-3 s, pending 10-40 s, SSM agent registration 20-90 s after running, bootstrap 5-60 s), behind
 * EC2's token buckets applied per action to EC2, Auto Scaling and SSM ({@link TokenBuckets}), optionally with a share
 * of the calls refused on top. The real handlers run, each invocation in its own Lambda-like environment (a pool per
 * function, reused when idle), over the real SDK adapters and the HTTP stub, on a virtual clock
 * ({@link VirtualScheduler}, {@link VirtualAttempts}): every attempt costs a modelled round trip, SDK backoffs cost
 * what the SDK chose, so minutes of launches run in seconds. Per hook it prints the time from the bootstrap command's
 * end to the completed lifecycle action, the calls, throttled attempts and SDK retries, and whether the hook was
 * completed by a function (not by its heartbeat timeout). A benchmark program, not a test: {@code make bench-hooks}.
 *
 * <p>Not modelled: the cloud's own event delivery (SSM status change to EventBridge to Lambda, SQS to Lambda; zero
 * unless {@code --event-latency-ms}), Lambda cold starts (environments are made outside virtual time) and the
 * functions' own CPU time (the handler's code between two calls takes no virtual time; its wall time is printed).
 */
public final class HookOverheadBench {

    static final Instant T0 = Instant.parse("2026-11-30T03:00:00Z");
    static final Duration MAX_VIRTUAL = Duration.ofHours(3);
    /** Lambda retries a failed asynchronous invocation twice, 1 and then 2 minutes later (its error handling page). */
    static final List<Duration> LAMBDA_RETRIES = List.of(Duration.ofMinutes(1), Duration.ofMinutes(2));
    /** The resume queue's visibility timeout (template.yaml): a failed message comes back after it. */
    static final Duration VISIBILITY_TIMEOUT = Duration.ofSeconds(720);

    /** The model's knobs. */
    record Options(List<Integer> launches, List<Double> refused, long seed, long apiLatencyMinMs,
                   long apiLatencyMaxMs, long eventLatencyMs) {

        static Options parse(String[] args) {
            var o = new Options(List.of(1, 10, 50), List.of(0.0, 0.3), 1, 50, 150, 0);
            for (int i = 0; i + 1 < args.length; i += 2) {
                var v = args[i + 1];
                o = switch (args[i]) {
                    case "--launches" -> new Options(ints(v), o.refused, o.seed, o.apiLatencyMinMs,
                            o.apiLatencyMaxMs, o.eventLatencyMs);
                    case "--refused" -> new Options(o.launches, java.util.Arrays.stream(v.split(","))
                            .map(Double::parseDouble).toList(), o.seed, o.apiLatencyMinMs, o.apiLatencyMaxMs,
                            o.eventLatencyMs);
                    case "--seed" -> new Options(o.launches, o.refused, Long.parseLong(v), o.apiLatencyMinMs,
                            o.apiLatencyMaxMs, o.eventLatencyMs);
                    case "--api-latency-ms" -> new Options(o.launches, o.refused, o.seed, ints(v).get(0),
                            ints(v).get(1), o.eventLatencyMs);
                    case "--event-latency-ms" -> new Options(o.launches, o.refused, o.seed, o.apiLatencyMinMs,
                            o.apiLatencyMaxMs, Long.parseLong(v));
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + "; known: --launches "
                            + "1,10,50 --refused 0,0.3 --seed 1 --api-latency-ms 50,150 --event-latency-ms 0 "
                            + "--runs 1");
                };
            }
            return o;
        }

        private static List<Integer> ints(String v) {
            return java.util.Arrays.stream(v.split("[,-]")).map(Integer::parseInt).toList();
        }
    }

    /** One function invocation: the hook it serves and what its calls did. */
    record Invocation(String function, Hook hook, VirtualAttempts.Tally tally) implements VirtualAttempts.Counted {
    }

    /** What happened to one launch hook. */
    static final class Hook {
        final String instanceId;
        final VirtualAttempts.Tally tally = new VirtualAttempts.Tally();
        volatile Instant commandEnd;
        volatile Instant completed;
        volatile String result;
        int invocations;
        int functionErrors;
        /** Status invocations that handed the completion on to the resume queue (throttled past the SDK). */
        int handedOn;
        long statusWallNanos = -1;

        Hook(String instanceId) {
            this.instanceId = instanceId;
        }
    }

    /** A scenario's figures. */
    record Result(int launches, double refused, List<Hook> hooks, int timedOut, List<String> otherCompletions,
                  Map<String, TokenBuckets.Tally> buckets, Map<String, Integer> environments, long environmentMillis,
                  Duration virtual, long wallMillis, List<Throwable> failures, long seed) {
    }

    /**
     * {@code --throttling-base-ms}: what-if only, never the product's setting. The SDK's own full-jitter exponential
     * backoff with this base after a throttling error instead of the standard strategy's (AWS's 1 s), to show what a
     * shorter one would buy. Null: the production strategy unchanged.
     */
    static volatile Duration throttlingBase;

    /** The goal for the time from the command's end to the completed action (issue 12), at p99. */
    static final long GOAL_P99_MILLIS = 300;

    private HookOverheadBench() {
    }

    public static void main(String[] args) throws Exception {
        // --runs N: each scenario N times, seeds seed .. seed + N - 1 (how often a goal is met, not one draw).
        int runs = 1;
        var rest = new ArrayList<String>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--runs") && i + 1 < args.length) {
                runs = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--throttling-base-ms") && i + 1 < args.length) {
                throttlingBase = Duration.ofMillis(Long.parseLong(args[++i]));
            } else {
                rest.add(args[i]);
            }
        }
        var options = Options.parse(rest.toArray(String[]::new));
        var out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        out.printf(Locale.ROOT, "hook overhead bench: load average %s; api round trip %d-%d ms per attempt, event "
                        + "latency %d ms, seed %d, runs %d%s%n", loadAverage(), options.apiLatencyMinMs,
                options.apiLatencyMaxMs, options.eventLatencyMs, options.seed, runs, throttlingBase == null ? ""
                        : "; WHAT-IF: throttling backoff base " + throttlingBase.toMillis() + " ms, not the SDK's");
        long wallStart = System.nanoTime();
        try (var stub = AwsStubServer.start()) {
            run(stub, options, 3, 0.0); // warm-up (class loading, JIT): not reported
        }
        // Scenarios are independent (each its own endpoint, cloud and clock): run a few at once, so that a busy
        // machine's wall time stays bounded; their figures are virtual and do not depend on it.
        var pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        var futures = new ArrayList<java.util.concurrent.Future<Result>>();
        for (int n = 0; n < runs; n++) {
            var seeded = new Options(options.launches, options.refused, options.seed + n, options.apiLatencyMinMs,
                    options.apiLatencyMaxMs, options.eventLatencyMs);
            for (var refused : options.refused) {
                for (var launches : options.launches) {
                    futures.add(pool.submit(() -> {
                        try (var stub = AwsStubServer.start()) {
                            return run(stub, seeded, launches, refused);
                        }
                    }));
                }
            }
        }
        var results = new ArrayList<Result>();
        for (var future : futures) {
            var result = future.get();
            print(out, result);
            results.add(result);
        }
        pool.shutdown();
        out.println();
        out.println("| launches | refused at random | hooks completed by a function / by heartbeat expiry | "
                + "command end "
                + "-> completed p50 / p99 / max | calls per hook p50 / max | throttled attempts | SDK retries | "
                + "throttled past SDK retries | handed on to the resume queue | "
                + "Lambda retries of a failed invocation |");
        out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (var r : results) {
            var overhead = millis(r.hooks, h -> h.completed == null || h.commandEnd == null ? -1
                    : Duration.between(h.commandEnd, h.completed).toMillis());
            out.printf(Locale.ROOT, "| %d | %.0f %% | %d / %d | %s | %d / %d | %d | %d | %d | %d | %d |%n",
                    r.launches, r.refused * 100, completedByFunction(r), r.timedOut, triple(overhead),
                    pct(values(r.hooks, h -> h.tally.calls), 50), pct(values(r.hooks, h -> h.tally.calls), 100),
                    sum(r.hooks, h -> h.tally.throttledAttempts), sum(r.hooks, h -> h.tally.retries()),
                    sum(r.hooks, h -> h.tally.throttledPastRetries), sum(r.hooks, h -> h.handedOn),
                    sum(r.hooks, h -> h.functionErrors));
        }
        if (runs > 1) {
            printRuns(out, results, runs);
        }
        out.printf(Locale.ROOT, "load average at the end: %s; %.0f s of wall time in all%n", loadAverage(),
                (System.nanoTime() - wallStart) / 1e9);
        boolean ok = results.stream().allMatch(r -> completedByFunction(r) == r.launches && r.timedOut == 0
                && r.failures.isEmpty());
        if (!ok) {
            out.println("NOT every hook was completed by a function: see above");
            System.exit(1);
        }
    }

    static Result run(AwsStubServer stub, Options options, int launches, double refused) {
        long wallStart = System.nanoTime();
        stub.reset();
        var random = new SplittableRandom(options.seed * 1_000_003L + launches * 31L + Math.round(refused * 100));
        var clock = new FakeClock(T0);
        var scheduler = new VirtualScheduler(clock);
        var env = new HashMap<>(CloudDriver.DEMO_ENV);
        env.put("RESUME_QUEUE_URL", stub.endpoint() + "/123456789012/zk-demo-resume");
        env.put("STOP_LEASE_TABLE", "zk-demo-stop-lease");
        var settings = Settings.fromEnv(env);
        var hooks = new ConcurrentHashMap<String, Hook>();
        var commandEnds = new ConcurrentHashMap<String, Instant>();
        var cloud = new FakeCloud(clock).group(settings.groupName(), settings.launchHookName(),
                settings.terminateHookName(), settings.heartbeatTimeout());
        var run = new Run(scheduler, cloud, hooks, options, settings, stub.endpoint(), env.get("RESUME_QUEUE_URL"));
        // Drawn once per instance or attachment (the fakes ask again at every read).
        var pending = new ConcurrentHashMap<String, Duration>();
        var agent = new ConcurrentHashMap<String, Duration>();
        var attach = new ConcurrentHashMap<String, Duration>();
        cloud.ec2().bootDelay(id -> pending.computeIfAbsent(id, k -> seconds(random, 10, 40)))
                .attachLatency(id -> attach.computeIfAbsent(id, k -> seconds(random, 1, 3)));
        cloud.ssm().agentRegistration(id -> agent.computeIfAbsent(id, k -> seconds(random, 20, 90)));
        cloud.commandOutcome(c -> clock.instant().isBefore(commandEnds.get(c.commandId())) ? null : "Success")
                .listener(new CloudState.Listener() {
                    @Override
                    public void onCommandSent(CloudState.CommandInfo command) {
                        var end = clock.instant().plus(seconds(random, 5, 60));
                        commandEnds.put(command.commandId(), end);
                        var hook = hooks.get(command.instanceId());
                        if (hook != null && hook.commandEnd == null) {
                            hook.commandEnd = end;
                        }
                        scheduler.at(end, run::dispatchDue);
                    }
                });
        for (int n = 1; n <= launches; n++) {
            int az = (n - 1) % CloudDriver.DEMO_AZS.size();
            cloud.addSlot(settings.cluster().clusterTagKey(), settings.cluster().clusterName(),
                    settings.nodeIdTagKey(), n, CloudDriver.DEMO_AZS.get(az),
                    "10.0." + (az + 1) + "." + (10 + (n - 1) / CloudDriver.DEMO_AZS.size()));
        }
        FakeCloudEndpoint.serve(stub, cloud, settings.cluster());
        stub.on("SendMessage", r -> {
            var body = String.valueOf(r.json().get("MessageBody"));
            var delay = Duration.ofSeconds(((Number) r.json().getOrDefault("DelaySeconds", 0)).longValue());
            run.resumeAt(clock.instant().plus(delay), body);
            return AwsStubServer.ok(r);
        });
        var buckets = new TokenBuckets(clock, refused, new SplittableRandom(random.nextLong()));
        stub.gate(r -> {
            var reply = buckets.apply(r);
            if (reply != null && scheduler.owner() instanceof Invocation i) {
                i.tally().throttledAttempts++;
            }
            if (reply == null && "CompleteLifecycleAction".equals(r.operation())
                    && settings.launchHookName().equals(r.param("LifecycleHookName"))) {
                var hook = hooks.get(r.param("InstanceId"));
                if (hook != null && hook.completed == null && cloud.lifecycleState(hook.instanceId)
                        .equals("Pending:Wait")) {
                    hook.completed = clock.instant();
                    hook.result = r.param("LifecycleActionResult");
                }
            }
            return reply;
        });
        run.attempts = new VirtualAttempts(scheduler, () -> Duration.ofMillis(options.apiLatencyMinMs
                + random.nextLong(options.apiLatencyMaxMs - options.apiLatencyMinMs + 1)));

        for (int n = 0; n < launches; n++) {
            var id = String.format("i-%017x", 0xb000L + n);
            hooks.put(id, new Hook(id));
            cloud.launch(id, CloudDriver.DEMO_AZS.get(n % CloudDriver.DEMO_AZS.size()));
        }
        scheduler.at(T0, run::tick);
        scheduler.run(T0.plus(MAX_VIRTUAL));
        cloud.tick();
        var others = cloud.completions().stream().filter(c -> !c.endsWith(settings.launchHookName() + "=CONTINUE"))
                .toList();
        return new Result(launches, refused, List.copyOf(hooks.values()), cloud.timedOutActions().size(), others,
                buckets.tally(), run.environmentsMade(), run.environmentNanos / 1_000_000,
                Duration.between(T0, clock.instant()),
                (System.nanoTime() - wallStart) / 1_000_000, scheduler.failures(), options.seed);
    }

    /** One scenario's dispatcher: deliveries, resume messages, Lambda environments. */
    static final class Run {
        private final VirtualScheduler scheduler;
        private final FakeCloud cloud;
        private final Map<String, Hook> hooks;
        private final Options options;
        private final Settings settings;
        private final Map<String, ArrayDeque<Functions>> idle = new HashMap<>();
        private final Map<String, Integer> made = new LinkedHashMap<>();
        private final PrintStream journal = journal();
        private final FakeZk zk = new FakeZk().serving("10.0.1.10", "leader");
        private final java.net.URI endpoint;
        private final String queueUrl;
        VirtualAttempts attempts;
        private int messages;
        long environmentNanos;

        Run(VirtualScheduler scheduler, FakeCloud cloud, Map<String, Hook> hooks, Options options,
            Settings settings, java.net.URI endpoint, String queueUrl) {
            this.scheduler = scheduler;
            this.cloud = cloud;
            this.hooks = hooks;
            this.options = options;
            this.settings = settings;
            this.endpoint = endpoint;
            this.queueUrl = queueUrl;
        }

        /** Every second of virtual time while a hook is open: deliver what fell due. */
        void tick() {
            dispatchDue();
            var timedOut = cloud.timedOutActions();
            if (hooks.values().stream().anyMatch(h -> h.completed == null
                    && !timedOut.contains(h.instanceId + "/" + settings.launchHookName()))) {
                scheduler.at(scheduler.clock().instant().plus(Duration.ofSeconds(1)), this::tick);
            }
        }

        void dispatchDue() {
            var now = scheduler.clock().instant();
            var deliverAt = now.plus(Duration.ofMillis(options.eventLatencyMs));
            for (var delivery : cloud.takeDue()) {
                if (delivery instanceof Delivery.Lifecycle l && l.isLaunch()) {
                    invoke("launch", l.instanceId(), deliverAt, 0, (f, i) -> f.launch(EventJson.lifecycle(l,
                            scheduler.clock().instant()).getBytes(StandardCharsets.UTF_8)));
                } else if (delivery instanceof Delivery.CommandStatus s && !"InProgress".equals(s.status())) {
                    invoke("command-status", s.instanceId(), deliverAt, 0, (f, i) -> {
                        long wall = System.nanoTime();
                        var answer = f.commandStatus(EventJson.commandStatus(s, scheduler.clock().instant())
                                .getBytes(StandardCharsets.UTF_8));
                        i.hook().statusWallNanos = System.nanoTime() - wall;
                        if ("Deferred".equals(answer.get("outcome"))) {
                            synchronized (i.hook()) {
                                i.hook().handedOn++;
                            }
                        }
                        return answer;
                    });
                }
                // InProgress comes at the command's start in AWS (the fake sends it with the end): no call is made for
                // it. Terminate hooks would follow an ABANDON, which the summary reports.
            }
        }

        void resumeAt(Instant at, String body) {
            scheduler.at(at, () -> {
                var ticket = body.replaceAll(".*\"instanceId\":\"(i-[0-9a-f]+)\".*", "$1");
                var id = "msg-" + ++messages;
                invoke("resume", ticket, at.plus(Duration.ofMillis(options.eventLatencyMs)), 0, (f, i) -> {
                    if (!f.resume(id, body)) {
                        resumeAt(scheduler.clock().instant().plus(VISIBILITY_TIMEOUT), body);
                    }
                    return null;
                });
            });
        }

        private void invoke(String function, String instanceId, Instant at, int retry,
                            java.util.function.BiFunction<Functions, Invocation, Object> body) {
            var hook = hooks.computeIfAbsent(instanceId, Hook::new);
            var invocation = new Invocation(function, hook, new VirtualAttempts.Tally());
            scheduler.spawn(at, invocation, function + "-" + instanceId, () -> {
                var functions = environment(function);
                try {
                    body.apply(functions, invocation);
                } catch (RuntimeException e) {
                    synchronized (hook) {
                        hook.functionErrors++;
                    }
                    if (retry < LAMBDA_RETRIES.size()) {
                        invoke(function, instanceId, scheduler.clock().instant().plus(LAMBDA_RETRIES.get(retry)),
                                retry + 1, body);
                    }
                } finally {
                    synchronized (hook) {
                        hook.invocations++;
                        hook.tally.add(invocation.tally());
                    }
                    release(function, functions);
                }
            });
        }

        private synchronized Functions environment(String function) {
            var pool = idle.computeIfAbsent(function, k -> new ArrayDeque<>());
            if (!pool.isEmpty()) {
                return pool.pop();
            }
            made.merge(function, 1, Integer::sum);
            long start = System.nanoTime();
            var functions = new Functions(wiring());
            environmentNanos += System.nanoTime() - start;
            return functions;
        }

        private synchronized void release(String function, Functions functions) {
            idle.get(function).push(functions);
        }

        synchronized Map<String, Integer> environmentsMade() {
            return Map.copyOf(made);
        }

        /** One Lambda environment: the production adapters over its own SDK clients, on the virtual clock. */
        private Wiring wiring() {
            var clients = AwsClients.forEndpoint(endpoint, AwsBasicCredentials.create("AKIDEXAMPLE", "secret"),
                    Region.US_EAST_1, attempts.standardRetries(throttlingBase), List.of(attempts));
            var clock = scheduler.clock();
            return new Wiring(settings, new AwsEc2(clients.ec2()), new AwsAutoScaling(clients.autoScaling()),
                    new AwsSsm(clients.ssm()), zk, new DynamoStopLease(clients.dynamoDb(),
                    settings.stopLeaseTable(), clock),
                    codec -> new SqsResumeScheduler(clients.sqs(), queueUrl, codec), clock,
                    scheduler::sleep, new SplittableRandom(options.seed * 7919L
                            + made.values().stream().mapToInt(Integer::intValue).sum()), CloudDriver.testBundle(),
                    journal)
                    .withHealth(zk, HealthSettings.defaults())
                    .countingSdkRetries(clients.attempts()::reset, clients.attempts()::retries);
        }
    }

    // ------------------------------------------------------------------ figures

    /** Per scenario over the runs: how many met the p99 goal, and the spread of their p99. */
    static void printRuns(PrintStream out, List<Result> results, int runs) {
        var scenarios = new LinkedHashMap<String, List<Result>>();
        results.forEach(r -> scenarios.computeIfAbsent(r.launches + " launches, " + Math.round(r.refused * 100)
                + " % refused", k -> new ArrayList<>()).add(r));
        out.println();
        scenarios.forEach((name, rs) -> {
            var p99s = rs.stream().map(r -> pct(millis(r.hooks, h -> h.completed == null || h.commandEnd == null
                    ? -1 : Duration.between(h.commandEnd, h.completed).toMillis()), 99)).sorted().toList();
            out.printf(Locale.ROOT, "%s, %d runs: p99 <= %d ms in %d; p99 over the runs min / median / max %d / %d / "
                            + "%d ms; hand-ons %d; Lambda retries %d; hooks not completed by a function %d%n", name,
                    runs, GOAL_P99_MILLIS, p99s.stream().filter(p -> p <= GOAL_P99_MILLIS).count(), p99s.get(0),
                    pct(p99s, 50), p99s.get(p99s.size() - 1),
                    rs.stream().mapToLong(r -> sum(r.hooks, h -> h.handedOn)).sum(),
                    rs.stream().mapToLong(r -> sum(r.hooks, h -> h.functionErrors)).sum(),
                    rs.stream().mapToLong(r -> r.launches - completedByFunction(r)).sum());
        });
    }

    static void print(PrintStream out, Result r) {
        out.printf(Locale.ROOT, "%n== %d simultaneous launches, %.0f %% of EC2/Auto Scaling/SSM calls refused at "
                + "random on top of the token buckets (seed %d) ==%n", r.launches, r.refused * 100, r.seed);
        var results = new LinkedHashMap<String, Integer>();
        r.hooks.forEach(h -> results.merge(h.result == null ? "not completed by a function" : h.result, 1,
                Integer::sum));
        out.printf(Locale.ROOT, "hooks: %d; completed by a function: %s; by heartbeat expiry: %d; other completions: "
                + "%s%n", r.hooks.size(), results, r.timedOut, r.otherCompletions);
        r.hooks.stream().filter(h -> h.result == null).forEach(h -> out.printf(Locale.ROOT, "  not completed by a "
                + "function: %s (command end %s, %d invocations, %d handed on, %d function errors; its journal: the "
                + "file named by -Dzkasg.bench.journal)%n", h.instanceId, h.commandEnd, h.invocations, h.handedOn,
                h.functionErrors));
        var overhead = millis(r.hooks, h -> h.completed == null || h.commandEnd == null ? -1
                : Duration.between(h.commandEnd, h.completed).toMillis());
        out.printf(Locale.ROOT, "bootstrap command end -> completed lifecycle action: p50 / p99 / max %s%n",
                triple(overhead));
        var total = millis(r.hooks, h -> h.completed == null ? -1 : Duration.between(T0, h.completed).toMillis());
        out.printf(Locale.ROOT, "launch -> completed (pending, agent, bootstrap, waits): p50 / p99 / max %s%n",
                triple(total));
        out.printf(Locale.ROOT, "per hook: calls p50 %d max %d; throttled attempts total %d (hooks with any: %d); SDK "
                        + "retries total %d (max %d); throttled past the SDK's retries %d; SDK backoff total %.1f s; "
                        + "invocations p50 %d max %d; completions handed on to the resume queue %d; function "
                        + "errors (Lambda retried) %d%n",
                pct(values(r.hooks, h -> h.tally.calls), 50), pct(values(r.hooks, h -> h.tally.calls), 100),
                sum(r.hooks, h -> h.tally.throttledAttempts), r.hooks.stream().filter(h -> h.tally.throttledAttempts
                        > 0).count(), sum(r.hooks, h -> h.tally.retries()),
                pct(values(r.hooks, h -> h.tally.retries()), 100), sum(r.hooks, h -> h.tally.throttledPastRetries),
                sum(r.hooks, h -> h.tally.backoff.toMillis()) / 1000.0,
                pct(values(r.hooks, h -> h.invocations), 50), pct(values(r.hooks, h -> h.invocations), 100),
                sum(r.hooks, h -> h.handedOn), sum(r.hooks, h -> h.functionErrors));
        var wall = values(r.hooks, h -> h.statusWallNanos / 1_000_000);
        out.printf(Locale.ROOT, "command-status handler wall time on this machine (not in the virtual figures): p50 "
                + "%d ms, max %d ms%n", pct(wall, 50), pct(wall, 100));
        var buckets = new ArrayList<String>();
        r.buckets.values().forEach(t -> buckets.add(t.action() + " " + t.admitted() + "/" + t.emptyBucket() + "/"
                + t.refusedAtRandom()));
        out.println("token buckets (action admitted/empty bucket/refused at random): " + String.join(", ", buckets));
        out.printf(Locale.ROOT, "Lambda environments made %s (%.1f s of wall time); virtual time %.0f s in %.1f s of "
                + "wall time%n", r.environments, r.environmentMillis / 1000.0, r.virtual.toMillis() / 1000.0,
                r.wallMillis / 1000.0);
        r.failures.forEach(f -> out.println("FAILURE in a participant: " + f));
    }

    private static long completedByFunction(Result r) {
        return r.hooks.stream().filter(h -> "CONTINUE".equals(h.result) || "ABANDON".equals(h.result)).count();
    }

    private static List<Long> millis(Collection<Hook> hooks, ToLongFunction<Hook> f) {
        return hooks.stream().mapToLong(f).filter(v -> v >= 0).sorted().boxed().toList();
    }

    private static List<Long> values(Collection<Hook> hooks, ToLongFunction<Hook> f) {
        return millis(hooks, f);
    }

    private static long sum(Collection<Hook> hooks, ToLongFunction<Hook> f) {
        return hooks.stream().mapToLong(f).sum();
    }

    /** Nearest-rank percentile of sorted values (0 when empty). */
    static long pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    private static String triple(List<Long> sorted) {
        return sorted.isEmpty() ? "n/a" : pct(sorted, 50) + " / " + pct(sorted, 99) + " / " + pct(sorted, 100)
                + " ms";
    }

    private static Duration seconds(SplittableRandom random, int min, int max) {
        return Duration.ofMillis(min * 1000L + random.nextLong((max - min) * 1000L + 1));
    }

    /** The functions' JSON log lines: to the file named by the system property zkasg.bench.journal, else nowhere. */
    private static PrintStream journal() {
        var file = System.getProperty("zkasg.bench.journal");
        if (file == null) {
            return new PrintStream(OutputStream.nullOutputStream());
        }
        synchronized (HookOverheadBench.class) {
            if (sharedJournal == null) {
                try {
                    sharedJournal = new PrintStream(new java.io.FileOutputStream(file, true), true,
                            StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            return sharedJournal;
        }
    }

    private static PrintStream sharedJournal;

    static String loadAverage() {
        try {
            var parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
