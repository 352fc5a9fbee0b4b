package io.zkasg.testkit;

import io.zkasg.core.model.Membership;
import io.zkasg.core.model.ServerFigures;
import io.zkasg.core.model.ServerHealth;
import io.zkasg.core.port.ZkProbe;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ZooKeeper servers as the probe sees them, set by the test: by default every address answers as a follower. With a
 * {@link #configuration} (dynamic reconfiguration, 3.5+), every server that answers reports it in {@code conf}, and
 * {@link #reconfigAdd}/{@link #reconfigRemove} change it one server at a time, conditional on its version as
 * {@code reconfig -v} is; a server that serves without being listed is a non-voting learner (it answers as a
 * follower, as a real one does), a removed one stops serving. Without one (the default), {@code conf} reports no
 * membership and the orchestrator counts the slots.
 */
public final class FakeZk implements ZkProbe {

    private final Map<String, ServerHealth> answers = new ConcurrentHashMap<>();
    private final List<String> probed = new ArrayList<>();
    private final Map<String, ArrayDeque<ServerHealth>> once = new ConcurrentHashMap<>();
    private final Map<String, ServerFigures> figures = new ConcurrentHashMap<>();
    private final Map<String, Integer> serverIds = new ConcurrentHashMap<>();

    /** First version: what a first leader gives the seed (its epoch in the zxid's high word). */
    public static final long FIRST_VERSION = 0x100000000L;

    private Membership configuration;
    /** Servers that have not learned the commits since: the configuration each still reports. */
    private final Map<String, Membership> lagging = new ConcurrentHashMap<>();

    /** The ensemble committed this configuration, every server a participant, at {@link #FIRST_VERSION}. */
    public synchronized FakeZk configuration(Map<Integer, String> participants) {
        var servers = new TreeMap<Integer, Membership.Server>();
        participants.forEach((id, ip) -> servers.put(id, new Membership.Server(id, ip, "participant")));
        configuration = new Membership(servers, FIRST_VERSION, -1);
        return this;
    }

    /** The committed configuration, if the ensemble has one. */
    public synchronized Optional<Membership> configuration() {
        return Optional.ofNullable(configuration);
    }

    /**
     * {@code reconfig -add server.id=ip... -v fromVersion}: false (nothing changes) when the configuration is no
     * longer {@code fromVersion}; nothing either when {@code id} is a participant at {@code ip} already. A new
     * configuration gets the next version.
     */
    public synchronized boolean reconfigAdd(int id, String ip, long fromVersion) {
        if (configuration == null || configuration.version() != fromVersion) {
            return false;
        }
        if (!configuration.votes(id, ip)) {
            var servers = new TreeMap<>(configuration.servers());
            servers.put(id, new Membership.Server(id, ip, "participant"));
            configuration = new Membership(servers, fromVersion + 1, -1);
        }
        return true;
    }

    /**
     * {@code reconfig -remove id -v fromVersion}: false when the configuration is no longer {@code fromVersion}; the
     * removed server stops serving (it answers imok outside a quorum).
     */
    public synchronized boolean reconfigRemove(int id, long fromVersion) {
        if (configuration == null || configuration.version() != fromVersion) {
            return false;
        }
        var removed = configuration.servers().get(id);
        if (removed != null) {
            var servers = new TreeMap<>(configuration.servers());
            servers.remove(id);
            configuration = new Membership(servers, fromVersion + 1, -1);
            notServing(removed.ip());
        }
        return true;
    }

    /**
     * The server at {@code ip} keeps reporting the configuration committed now, as a follower that has not yet
     * learned the next commits does, until {@link #caughtUp}.
     */
    public synchronized FakeZk lagging(String ip) {
        if (configuration != null) {
            lagging.put(ip, configuration);
        }
        return this;
    }

    /** The server at {@code ip} reports the committed configuration again. */
    public FakeZk caughtUp(String ip) {
        lagging.remove(ip);
        return this;
    }

    @Override
    public Optional<Membership> membership(String ip, int port, Duration timeout) {
        var answer = answers.getOrDefault(ip, new ServerHealth(ip, true, "follower", 1, ""));
        synchronized (this) {
            var known = lagging.getOrDefault(ip, configuration);
            if (known == null || !answer.serving()) {
                return Optional.empty();
            }
            int self = known.servers().values().stream().filter(s -> s.ip().equals(ip))
                    .mapToInt(Membership.Server::id).findFirst().orElse(serverIds.getOrDefault(ip, -1));
            return Optional.of(new Membership(known.servers(), known.version(), self));
        }
    }

    /** The server at {@code ip} answers with this mode (leader, follower...) and imok. */
    public FakeZk serving(String ip, String mode) {
        answers.put(ip, new ServerHealth(ip, true, mode, 1, ""));
        return this;
    }

    /** The server at {@code ip} is down: its host refuses the connection. */
    public FakeZk down(String ip) {
        answers.put(ip, ServerHealth.refused(ip));
        return this;
    }

    /** The server at {@code ip} cannot be reached at all (timeout): the prober learns nothing. */
    public FakeZk unreachable(String ip) {
        answers.put(ip, ServerHealth.unreachable(ip, "connect timed out"));
        return this;
    }

    /** The server at {@code ip} answers imok but is not in a quorum (still electing, or rejoining). */
    public FakeZk notServing(String ip) {
        answers.put(ip, new ServerHealth(ip, true, "", -1,
                "This ZooKeeper instance is not currently serving requests"));
        return this;
    }

    /** The next probe of {@code ip} times out (a slow answer); later probes answer as before. */
    public synchronized FakeZk slowOnce(String ip) {
        once.computeIfAbsent(ip, k -> new ArrayDeque<>()).add(ServerHealth.unreachable(ip, "timed out (ruok)"));
        return this;
    }

    /** The server at {@code ip} reports these mntr figures. */
    public FakeZk figures(ServerFigures reported) {
        figures.put(reported.ip(), reported);
        return this;
    }

    /** The server at {@code ip} reports this id in conf (by default it does not answer conf). */
    public FakeZk serverId(String ip, int id) {
        serverIds.put(ip, id);
        return this;
    }

    @Override
    public OptionalInt serverId(String ip, int port, Duration timeout) {
        var id = serverIds.get(ip);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public ServerFigures figures(String ip, int port, Duration timeout) {
        return figures.getOrDefault(ip, ServerFigures.none(ip));
    }

    public synchronized List<String> probed() {
        return List.copyOf(probed);
    }

    @Override
    public ServerHealth probe(String ip, int port, Duration timeout) {
        synchronized (this) {
            probed.add(ip + ":" + port);
            var queued = once.get(ip);
            if (queued != null && !queued.isEmpty()) {
                return queued.poll();
            }
        }
        return answers.getOrDefault(ip, new ServerHealth(ip, true, "follower", 1, ""));
    }
}
