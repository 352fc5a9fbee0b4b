package io.zkasg.testkit;

import io.zkasg.core.model.ServerFigures;
import io.zkasg.core.model.ServerHealth;
import io.zkasg.core.port.ZkProbe;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/** ZooKeeper servers as the probe sees them, set by the test: by default every address answers as a follower. */
public final class FakeZk implements ZkProbe {

    private final Map<String, ServerHealth> answers = new ConcurrentHashMap<>();
    private final List<String> probed = new ArrayList<>();
    private final Map<String, ArrayDeque<ServerHealth>> once = new ConcurrentHashMap<>();
    private final Map<String, ServerFigures> figures = new ConcurrentHashMap<>();
    private final Map<String, Integer> serverIds = new ConcurrentHashMap<>();

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
