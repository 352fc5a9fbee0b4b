package io.zkasg.core;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How the health function's reconciler changes the ensemble's membership to match its size (docs/sizing.md), read
 * from the environment.
 *
 * @param reconfigDocument the SSM document that runs {@code zk-reconfig} on a member ({@code <cluster>-reconfig});
 *     empty: no membership change is ever made
 * @param leaseTtl how long a reconfiguration holds the stop lease at most (it gives it back once the change is made
 *     and confirmed, or its command ended without it): longer than the command's delivery and execution timeouts
 *     together
 * @param commandTimeout the reconfig command's delivery timeout (SendCommand's TimeoutSeconds)
 */
public record ResizeSettings(String reconfigDocument, Duration leaseTtl, Duration commandTimeout) {

    /** The reconfig document's own execution timeout (template.yaml, ReconfigDocument's timeoutSeconds). */
    public static final Duration EXECUTION_TIMEOUT = Duration.ofSeconds(300);

    public ResizeSettings {
        if (leaseTtl.compareTo(commandTimeout.plus(EXECUTION_TIMEOUT)) <= 0) {
            throw new ConfigException("the reconfig lease must outlast the reconfig command's delivery and execution");
        }
    }

    /** No membership change (no reconfig document). */
    public static ResizeSettings off() {
        return new ResizeSettings("", Duration.ofMinutes(10), Duration.ofSeconds(60));
    }

    public static ResizeSettings fromEnv(Map<String, String> env) {
        var document = Settings.optional(env, "RECONFIG_DOCUMENT").orElse("");
        if (!document.isEmpty() && !NAME.matcher(document).matches()) {
            throw new ConfigException("RECONFIG_DOCUMENT has a value that is not allowed");
        }
        return new ResizeSettings(document, Duration.ofMinutes(10), Duration.ofSeconds(60));
    }

    public boolean enabled() {
        return !reconfigDocument.isEmpty();
    }

    private static final Pattern NAME = Settings.NAME;
}
