package io.zkasg.core.model;

/**
 * The figures a ZooKeeper server reports in {@code mntr}, for metrics. A figure the server did not report is -1
 * ({@code followers} and {@code syncedFollowers} are reported by a leader only).
 *
 * @param serverState zk_server_state: leader, follower, observer, standalone (empty when unknown)
 * @param avgLatencyMs zk_avg_latency, in milliseconds
 */
public record ServerFigures(String ip, String serverState, long znodeCount, long outstandingRequests,
                            double avgLatencyMs, long followers, long syncedFollowers) {

    public static ServerFigures none(String ip) {
        return new ServerFigures(ip, "", -1, -1, -1, -1, -1);
    }
}
