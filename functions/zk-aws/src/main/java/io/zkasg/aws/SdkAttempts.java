package io.zkasg.aws;

import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * Counts, per thread, the API calls the SDK clients execute and the HTTP attempts they make: attempts beyond calls are
 * the SDK's own retries (throttling, 5xx, network), which the ports never see. The synchronous clients run their
 * interceptors on the calling thread, so a handler reads what its own invocation did.
 */
public final class SdkAttempts implements ExecutionInterceptor {

    private final ThreadLocal<long[]> counts = ThreadLocal.withInitial(() -> new long[2]);

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes executionAttributes) {
        counts.get()[0]++;
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes executionAttributes) {
        counts.get()[1]++;
    }

    /** Starts counting again for the current thread. */
    public void reset() {
        var c = counts.get();
        c[0] = 0;
        c[1] = 0;
    }

    /** Retries on the current thread since the last {@link #reset()}: attempts beyond the first of each call. */
    public long retries() {
        var c = counts.get();
        return Math.max(0, c[1] - c[0]);
    }
}
