package io.zkasg.lambda;

/**
 * The one {@link Wiring} of this execution environment, built on first use from the Lambda environment. Shared by
 * every handler class in the jar, so SnapStart's snapshot holds initialised clients.
 */
final class Runtime {

    private static volatile Wiring wiring;

    private Runtime() {
    }

    static Wiring wiring() {
        var current = wiring;
        if (current == null) {
            synchronized (Runtime.class) {
                current = wiring;
                if (current == null) {
                    current = ProductionWiring.build(System.getenv());
                    wiring = current;
                }
            }
        }
        return current;
    }
}
