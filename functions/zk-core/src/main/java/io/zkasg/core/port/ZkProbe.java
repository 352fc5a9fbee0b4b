package io.zkasg.core.port;

import io.zkasg.core.model.Membership;
import io.zkasg.core.model.ServerFigures;
import io.zkasg.core.model.ServerHealth;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/** Asks a ZooKeeper server how it is, over its client port, with the four-letter words. */
public interface ZkProbe {

    /**
     * Sends {@code ruok} then {@code srvr} to {@code ip:port}, each bounded by {@code timeout}. Never throws for a
     * server that is down or slow: that is an answer ({@link ServerHealth#unreachable}).
     */
    ServerHealth probe(String ip, int port, Duration timeout);

    /**
     * Sends {@code mntr} to {@code ip:port}, bounded by {@code timeout}, for metrics only (never for decisions). Never
     * throws: a server that does not answer, or does not allow {@code mntr}, gives {@link ServerFigures#none}.
     */
    default ServerFigures figures(String ip, int port, Duration timeout) {
        return ServerFigures.none(ip);
    }

    /**
     * The server's own id (its {@code myid}) from {@code conf}, bounded by {@code timeout}; empty when it does not
     * answer or does not allow {@code conf}. Never throws.
     */
    default OptionalInt serverId(String ip, int port, Duration timeout) {
        return OptionalInt.empty();
    }

    /**
     * The committed configuration the server at {@code ip:port} reports in {@code conf} ({@link Membership#parse}),
     * bounded by {@code timeout}; empty when it does not answer, does not allow {@code conf} or reports no dynamic
     * configuration. Never throws.
     */
    default Optional<Membership> membership(String ip, int port, Duration timeout) {
        return Optional.empty();
    }
}
