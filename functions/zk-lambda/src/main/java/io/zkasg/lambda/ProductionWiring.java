package io.zkasg.lambda;

import java.util.Map;

/** Builds the production {@link Wiring}: settings from the environment, AWS SDK adapters. */
final class ProductionWiring {

    private ProductionWiring() {
    }

    static Wiring build(Map<String, String> env) {
        throw new UnsupportedOperationException("AWS adapters not wired yet");
    }
}
