package io.zkasg.lambda;

import io.zkasg.core.port.CloudException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * Counts the calls made through the ports (one port call is one AWS API call, the SDK's own retries aside) and the
 * throttles that outlasted the SDK's retries, per invocation: each handler thread starts from zero.
 */
final class CallCounter {

    /** What one invocation did so far. */
    static final class Tally {
        int calls;
        int throttles;
        /** Command statuses read from SSM that had ended: status events a re-driven wait recovered. */
        int recoveredStatuses;
    }

    private final ThreadLocal<Tally> tally = ThreadLocal.withInitial(Tally::new);

    /** Starts counting for the current invocation. */
    Tally reset() {
        var fresh = new Tally();
        tally.set(fresh);
        return fresh;
    }

    Tally current() {
        return tally.get();
    }

    /** {@code port} with every call counted. */
    <T> T wrap(Class<T> type, T port) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return method.invoke(port, args);
            }
            var current = tally.get();
            current.calls++;
            try {
                return method.invoke(port, args);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof CloudException.Throttled) {
                    current.throttles++;
                }
                throw e.getCause();
            }
        };
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler));
    }
}
