package io.zkasg.local.e2e;

import io.zkasg.core.model.Membership;
import io.zkasg.core.model.ServerHealth;
import io.zkasg.core.port.ZkProbe;
import java.time.Duration;
import java.util.Optional;

/**
 * The quorum guard's probe for the local cloud: the functions run on the host, which has no route to the instances'
 * static IPs, so the four-letter words go out from the client namespace (through the router, as from a Lambda in the
 * VPC) with netcat.
 */
final class NamespaceZkProbe implements ZkProbe {

    private final String netns;

    NamespaceZkProbe(String netns) {
        this.netns = netns;
    }

    @Override
    public ServerHealth probe(String ip, int port, Duration timeout) {
        var ruok = ask(ip, port, "ruok", timeout);
        if (ruok.out().contains("refused")) {
            return ServerHealth.refused(ip);
        }
        if (!ruok.ok() || !ruok.out().strip().equals("imok")) {
            return ServerHealth.unreachable(ip, "ruok: " + ruok.out().strip());
        }
        var srvr = ask(ip, port, "srvr", timeout);
        for (var line : srvr.out().split("\n")) {
            if (line.startsWith("Mode:")) {
                return new ServerHealth(ip, true, line.substring(5).strip(), -1, "");
            }
        }
        if (srvr.out().isBlank()) {
            // imok, then no answer within nc's wait: a stall, not a server known to be down.
            return ServerHealth.stalled(ip, "srvr: no answer");
        }
        return new ServerHealth(ip, true, "", -1, "srvr: " + srvr.out().strip());
    }

    @Override
    public Optional<Membership> membership(String ip, int port, Duration timeout) {
        var conf = ask(ip, port, "conf", timeout);
        return conf.ok() ? Membership.parse(conf.out()) : Optional.empty();
    }

    /**
     * The server's answer to {@code word}; "refused" when the host refused the connection (OpenBSD netcat says so
     * only with -v, whose other lines are dropped here).
     */
    private Sh.Result ask(String ip, int port, String word, Duration timeout) {
        long seconds = Math.max(1, timeout.toSeconds());
        // The values are ours (slot IPs and ports validated by the core), never user input.
        var r = Sh.exec(java.util.List.of("nsenter", "--net=/run/netns/" + netns, "bash", "-c",
                "printf %s " + word + " | nc -v -N -w " + seconds + " " + ip + " " + port));
        if (r.out().contains("Connection refused")) {
            return new Sh.Result(r.code(), "refused");
        }
        var answer = r.out().lines().filter(l -> !l.startsWith("Connection to ") && !l.startsWith("nc: "))
                .collect(java.util.stream.Collectors.joining("\n"));
        return new Sh.Result(r.code(), answer);
    }
}
