package io.zkasg.core.model;

import java.util.Collections;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The ensemble's committed configuration as a serving member reports it (ZooKeeper 3.5+, dynamic reconfiguration):
 * its servers with their address and role, and its version (the zxid that committed it, hex in ZooKeeper's files).
 * Only the participants vote: a majority of them is the quorum, whatever the slots are. A server that serves as a
 * learner without being listed (a new member synced before it is added) does not count.
 *
 * @param servers node id to server, by id
 * @param version the configuration's version; a larger one is newer
 * @param serverId the answering server's own id ({@code serverId=} in {@code conf}), -1 when not reported
 */
public record Membership(SortedMap<Integer, Server> servers, long version, int serverId) {

    /** One {@code server.N=ip:quorum:election:role;client} line. */
    public record Server(int id, String ip, String role) {

        public boolean participant() {
            return "participant".equals(role);
        }
    }

    public Membership {
        servers = Collections.unmodifiableSortedMap(new TreeMap<>(servers));
    }

    /** The ids of the voting members. */
    public Set<Integer> voters() {
        var ids = new TreeSet<Integer>();
        servers.values().stream().filter(Server::participant).forEach(s -> ids.add(s.id()));
        return Collections.unmodifiableSet(ids);
    }

    /** Whether {@code id} is a participant at {@code ip}. */
    public boolean votes(int id, String ip) {
        var server = servers.get(id);
        return server != null && server.participant() && server.ip().equals(ip);
    }

    /** The version as ZooKeeper writes it (lower-case hex): what {@code zk-reconfig --from-version} takes. */
    public String versionHex() {
        return Long.toHexString(version);
    }

    /**
     * The membership in the answer to the {@code conf} four-letter word: after a {@code membership:} line, one
     * {@code server.N=ip:quorum:election[:role][;[clientIp:]clientPort]} line per server and {@code version=HEX}
     * (ZooKeeper 3.5+ with a dynamic configuration, checked on a 3.8 server: docs/sizing.md). Empty when there is
     * none (an older server, a standalone one, an answer cut short) or a line does not parse.
     */
    public static Optional<Membership> parse(String conf) {
        var servers = new TreeMap<Integer, Server>();
        long version = -1;
        int serverId = -1;
        boolean inMembership = false;
        for (var raw : conf.split("\n")) {
            var line = raw.strip();
            if (line.startsWith("serverId=")) {
                serverId = (int) Math.min(number(line.substring("serverId=".length()), 10), Integer.MAX_VALUE);
            } else if (line.startsWith("membership:")) {
                inMembership = true;
            } else if (inMembership && line.startsWith("server.")) {
                var server = server(line);
                if (server.isEmpty()) {
                    return Optional.empty();
                }
                servers.put(server.get().id(), server.get());
            } else if (inMembership && line.startsWith("version=")) {
                version = number(line.substring("version=".length()), 16);
            }
        }
        if (servers.isEmpty() || version < 0) {
            return Optional.empty();
        }
        return Optional.of(new Membership(servers, version, serverId));
    }

    private static Optional<Server> server(String line) {
        int eq = line.indexOf('=');
        long id = eq < 0 ? -1 : number(line.substring("server.".length(), eq), 10);
        if (id < 1 || id > 255) {
            return Optional.empty();
        }
        var value = line.substring(eq + 1);
        int semicolon = value.indexOf(';');
        var parts = (semicolon < 0 ? value : value.substring(0, semicolon)).split(":");
        if (parts.length < 3 || parts[0].isEmpty()) {
            return Optional.empty();
        }
        var role = parts.length > 3 ? parts[3] : "participant";
        return Optional.of(new Server((int) id, parts[0], role));
    }

    /** A non-negative number, -1 when it is not one. */
    private static long number(String raw, int radix) {
        try {
            long value = Long.parseLong(raw.strip(), radix);
            return value < 0 ? -1 : value;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
