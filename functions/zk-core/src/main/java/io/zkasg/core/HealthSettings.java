package io.zkasg.core;

import java.time.Duration;
import java.util.Map;

/**
 * How the health function judges and replaces nodes, read from the environment.
 *
 * @param failuresToReplace consecutive failed checks after which a node is marked unhealthy
 * @param probeTimeout bound of each four-letter word (connect and answer)
 * @param probeAttempts attempts within one check: one slow answer is retried before the check counts as failed
 * @param retryPause pause between two attempts of one check
 */
public record HealthSettings(int failuresToReplace, Duration probeTimeout, int probeAttempts, Duration retryPause) {

    public static HealthSettings defaults() {
        return new HealthSettings(3, Duration.ofSeconds(2), 2, Duration.ofSeconds(1));
    }

    public static HealthSettings fromEnv(Map<String, String> env) {
        return new HealthSettings(
                integer(env, "HEALTH_FAILURES_TO_REPLACE", 3, 1, 100),
                Duration.ofMillis(integer(env, "HEALTH_PROBE_TIMEOUT_MS", 2000, 100, 10_000)),
                integer(env, "HEALTH_PROBE_ATTEMPTS", 2, 1, 5),
                Duration.ofMillis(integer(env, "HEALTH_RETRY_PAUSE_MS", 1000, 0, 10_000)));
    }

    private static int integer(Map<String, String> env, String name, int fallback, int min, int max) {
        return Settings.integer(env, name, fallback, min, max);
    }
}
