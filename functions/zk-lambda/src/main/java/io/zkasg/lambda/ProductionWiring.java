package io.zkasg.lambda;

import io.zkasg.aws.AwsAutoScaling;
import io.zkasg.aws.AwsClients;
import io.zkasg.aws.AwsEc2;
import io.zkasg.aws.AwsSsm;
import io.zkasg.aws.DynamoStopLease;
import io.zkasg.aws.SocketZkProbe;
import io.zkasg.aws.SqsResumeScheduler;
import io.zkasg.core.ConfigException;
import io.zkasg.core.HealthSettings;
import io.zkasg.core.Settings;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;
import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;

/** Builds the production {@link Wiring}: settings from the environment, AWS SDK adapters, SnapStart hooks. */
final class ProductionWiring {

    /**
     * The SnapStart hooks of this execution environment. org.crac's context holds registered resources only through
     * weak references: without this field a GC before the checkpoint would drop the hooks, skipping the priming and
     * the reseeding (every restored environment would then share one random state and one set of credentials).
     */
    private static volatile Resource snapStartHooks;

    static final Pattern QUEUE_URL = Pattern.compile("https?://[A-Za-z0-9.:-]{1,253}(/[A-Za-z0-9_.-]{1,80}){2}");

    private ProductionWiring() {
    }

    static Wiring build(Map<String, String> env) {
        var settings = Settings.fromEnv(env);
        var queueUrl = Settings.optional(env, "RESUME_QUEUE_URL")
                .orElseThrow(() -> new ConfigException("RESUME_QUEUE_URL is required and not set"));
        if (!QUEUE_URL.matcher(queueUrl).matches()) {
            throw new ConfigException("RESUME_QUEUE_URL is not an SQS queue URL");
        }
        if (settings.stopLeaseTable().isEmpty()) {
            throw new ConfigException("STOP_LEASE_TABLE is required and not set (the stack's StopLeaseTable)");
        }
        // Jackson's classes load on another core while the SDK clients are built here: a cold start is mostly class
        // loading, and the two do not depend on each other.
        var jackson = new Thread(() -> Outcomes.warmUp(), "jackson-warm-up");
        jackson.setDaemon(true);
        jackson.start();
        var clients = AwsClients.fromEnvironment();
        joinQuietly(jackson);
        var random = new Reseeded();
        var probe = new SocketZkProbe();
        var bundle = Wiring.bundledScripts();
        var healthSettings = HealthSettings.fromEnv(env);
        var wiring = new Wiring(settings, new AwsEc2(clients.ec2()), new AwsAutoScaling(clients.autoScaling()),
                new AwsSsm(clients.ssm()), probe,
                new DynamoStopLease(clients.dynamoDb(), settings.stopLeaseTable(), Clock.systemUTC()),
                codec -> new SqsResumeScheduler(clients.sqs(), queueUrl, codec),
                Clock.systemUTC(), duration -> sleep(duration.toMillis()), random, bundle, System.out)
                .withHealth(probe, healthSettings)
                .withResize(io.zkasg.core.ResizeSettings.fromEnv(env))
                .countingSdkRetries(clients.attempts()::reset, clients.attempts()::retries);
        Runnable handlers = () -> clients.offline(offline -> HandlerPriming.run(settings, healthSettings, queueUrl,
                offline, probe, bundle));
        var hooks = new SnapStartHooks(clients, random, handlers);
        snapStartHooks = hooks;
        Core.getGlobalContext().register(hooks);
        return wiring;
    }

    private static void joinQuietly(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Randomness for the slot order and resume ids. A SnapStart snapshot would give every restored environment the
     * same generator state, so it is reseeded from the OS after each restore.
     */
    static final class Reseeded implements RandomGenerator {

        private volatile SplittableRandom delegate = fresh();

        private static SplittableRandom fresh() {
            return new SplittableRandom(new SecureRandom().nextLong());
        }

        void reseed() {
            delegate = fresh();
        }

        /** The current generator (a new one after each reseed). */
        Object state() {
            return delegate;
        }

        @Override
        public synchronized long nextLong() {
            return delegate.nextLong();
        }
    }

    /** The hooks registered by the last {@link #build}, strongly held (tests drive them through org.crac). */
    static Resource snapStartHooks() {
        return snapStartHooks;
    }

    /**
     * Warms the SDK clients and rehearses every handler over canned-response clients ({@link HandlerPriming}) before
     * the snapshot; after a restore, reseeds randomness and forgets the credentials resolved before the snapshot.
     */
    record SnapStartHooks(AwsClients clients, Reseeded random, Runnable handlers) implements Resource {

        @Override
        public void beforeCheckpoint(Context<? extends Resource> context) {
            clients.prime();
            handlers.run();
        }

        @Override
        public void afterRestore(Context<? extends Resource> context) {
            random.reseed();
            clients.renewCredentials();
        }
    }
}
