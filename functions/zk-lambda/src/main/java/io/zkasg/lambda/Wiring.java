package io.zkasg.lambda;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.zkasg.core.CommandStatusUseCase;
import io.zkasg.core.HealthSettings;
import io.zkasg.core.HealthUseCase;
import io.zkasg.core.LaunchUseCase;
import io.zkasg.core.MembershipReconciler;
import io.zkasg.core.Reconciler;
import io.zkasg.core.ResizeSettings;
import io.zkasg.core.ScriptBundle;
import io.zkasg.core.Settings;
import io.zkasg.core.TerminateUseCase;
import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.core.port.Ec2Port;
import io.zkasg.core.port.Pauser;
import io.zkasg.core.port.ResumeScheduler;
import io.zkasg.core.port.SsmPort;
import io.zkasg.core.port.StopLease;
import io.zkasg.core.port.ZkProbe;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Base64;
import java.util.HexFormat;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/** The composition root: settings, adapters and use cases, built once per execution environment. */
public final class Wiring {

    /** The cloud behind the ports: the real AWS adapters in Lambda, a fake or local cloud elsewhere. */
    public record Ports(Ec2Port ec2, AutoScalingPort autoScaling, SsmPort ssm, ResumeScheduler scheduler,
                        ZkProbe zk, StopLease lease) {
    }

    static final String BUNDLE_RESOURCE = "/zkasg/scripts.tar.gz";

    private final Settings settings;
    private final JsonJournal journal;
    private final Events events;
    private final TicketCodec codec;
    private final LaunchUseCase launch;
    private final CommandStatusUseCase commandStatus;
    private final TerminateUseCase terminate;
    private final CallCounter calls = new CallCounter();
    private final EmfMetrics metrics;
    private final Telemetry telemetry;
    private final Ec2Port ec2;
    private final AutoScalingPort autoScaling;
    private final Pauser pauser;
    private final StopLease lease;
    private final ResumeScheduler scheduler;
    private final Clock clock;
    private final RandomGenerator random;
    private final SsmPort ssm;
    private final ScriptBundle bundle;
    private volatile HealthUseCase health;
    private volatile Reconciler reconciler;
    private volatile MembershipReconciler membership;

    /**
     * Wires the use cases over {@code ports}. {@code schedulerFor} builds the resume scheduler given the ticket codec
     * (the SQS adapter needs it to encode tickets).
     */
    public Wiring(Settings settings, Ec2Port ec2, AutoScalingPort autoScaling, SsmPort ssm, ZkProbe zk,
                  StopLease lease,
                  Function<Function<io.zkasg.core.HookTicket, String>, ResumeScheduler> schedulerFor,
                  Clock clock, Pauser pauser, RandomGenerator random, ScriptBundle bundle, PrintStream log) {
        var json = new ObjectMapper();
        this.settings = settings;
        this.journal = new JsonJournal(json, log, clock);
        this.metrics = new EmfMetrics(json, log, clock, settings.cluster().clusterName(), journal::correlationId);
        this.telemetry = new Telemetry(calls, metrics);
        // Every port call is counted per invocation (the AwsCalls and Throttles metrics).
        ec2 = calls.wrap(Ec2Port.class, ec2);
        autoScaling = calls.wrap(AutoScalingPort.class, autoScaling);
        ssm = calls.wrap(SsmPort.class, ssm);
        lease = calls.wrap(StopLease.class, lease);
        this.lease = lease;
        this.ssm = ssm;
        this.bundle = bundle;
        this.ec2 = ec2;
        this.autoScaling = autoScaling;
        this.pauser = pauser;
        this.events = new Events(json);
        this.codec = new TicketCodec(json);
        var scheduler = schedulerFor.apply(codec::encode);
        this.scheduler = scheduler;
        this.clock = clock;
        this.random = random;
        // A re-driven wait that reads from SSM how its command ended recovers a lost status event
        // (CommandStatusRecovered).
        io.zkasg.core.port.Journal hooks = (step, fields) -> {
            journal.record(step, fields);
            if ("command-status-read".equals(step)
                    && CommandStatusUseCase.ended(String.valueOf(fields.get("status")))) {
                calls.current().recoveredStatuses++;
            }
        };
        this.launch = new LaunchUseCase(settings, ec2, autoScaling, ssm, zk, scheduler, hooks, clock, random,
                bundle);
        this.terminate = new TerminateUseCase(settings, ec2, autoScaling, ssm, zk, lease, scheduler, hooks, clock,
                random, bundle);
        this.commandStatus = new CommandStatusUseCase(settings, ec2, autoScaling, lease, journal, launch, terminate);
    }

    /**
     * Adds the health use case, which needs a way to reach the ZooKeeper servers. Returns this wiring; call it once,
     * while the wiring is built.
     */
    public Wiring withHealth(ZkProbe probe, HealthSettings healthSettings) {
        this.health = new HealthUseCase(settings, healthSettings, ec2, autoScaling, probe, lease, metrics, journal,
                pauser);
        this.reconciler = new Reconciler(settings, ec2, autoScaling, scheduler, journal, metrics, clock, random);
        return this;
    }

    /**
     * Adds the membership step of the health function (grow and shrink online, docs/sizing.md), after
     * {@link #withHealth}. Returns this wiring; call it once, while the wiring is built.
     */
    public Wiring withResize(ResizeSettings resize) {
        this.membership = new MembershipReconciler(settings, resize, ssm, autoScaling, lease, journal, clock,
                bundle);
        return this;
    }

    /** Publishes the SDK's own retries per invocation (SdkRetries) from a per-thread counter. */
    public Wiring countingSdkRetries(Runnable reset, java.util.function.LongSupplier retriesSinceReset) {
        telemetry.countRetries(reset, retriesSinceReset);
        return this;
    }

    /** Wires the use cases over ports that share one scheduler (fake and local clouds). */
    public static Wiring over(Settings settings, Ports ports, Clock clock, Pauser pauser, RandomGenerator random,
                              ScriptBundle bundle, PrintStream log) {
        return new Wiring(settings, ports.ec2(), ports.autoScaling(), ports.ssm(), ports.zk(), ports.lease(),
                codec -> ports.scheduler(), clock, pauser, random, bundle, log);
    }

    Settings settings() {
        return settings;
    }

    JsonJournal journal() {
        return journal;
    }

    Events events() {
        return events;
    }

    TicketCodec codec() {
        return codec;
    }

    LaunchUseCase launch() {
        return launch;
    }

    CommandStatusUseCase commandStatus() {
        return commandStatus;
    }

    TerminateUseCase terminate() {
        return terminate;
    }

    HealthUseCase health() {
        var current = health;
        if (current == null) {
            throw new IllegalStateException("this wiring has no health use case: call withHealth(..) when building it");
        }
        return current;
    }

    Reconciler reconciler() {
        var current = reconciler;
        if (current == null) {
            throw new IllegalStateException("this wiring has no reconciler: call withHealth(..) when building it");
        }
        return current;
    }

    /** The membership step, when the wiring has one ({@link #withResize}). */
    java.util.Optional<MembershipReconciler> membership() {
        return java.util.Optional.ofNullable(membership);
    }

    EmfMetrics metrics() {
        return metrics;
    }

    Telemetry telemetry() {
        return telemetry;
    }

    /** The production wiring from an environment (what every handler's no-argument constructor uses). */
    public static Wiring production(java.util.Map<String, String> env) {
        return ProductionWiring.build(env);
    }

    /** The scripts bundle packed into the jar at build time, as the command sends it. */
    public static ScriptBundle bundledScripts() {
        try (var in = Wiring.class.getResourceAsStream(BUNDLE_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(BUNDLE_RESOURCE + " is missing from the artifact; build it with Maven");
            }
            var bytes = in.readAllBytes();
            var sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            return new ScriptBundle(Base64.getEncoder().encodeToString(bytes), sha);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
