package io.zkasg.core.port;

/**
 * How the cluster's ENIs and volumes are recognised.
 *
 * @param clusterTagKey tag whose value is the cluster name, e.g. {@code zkasg:cluster}
 * @param clusterName the value of that tag
 * @param nodeIdTagKey tag whose value is the node id (ZooKeeper {@code myid}), e.g. {@code zkasg:node-id}
 * @param legacyNamePrefix when not empty, resources are found by their {@code Name} tag instead, as the seed named
 *     them ({@code ZOOKEEPER-1}, {@code ZOOKEEPER-2}...): the node id is the number after the prefix
 */
public record ClusterTags(String clusterTagKey, String clusterName, String nodeIdTagKey, String legacyNamePrefix) {

    public boolean byLegacyName() {
        return !legacyNamePrefix.isEmpty();
    }
}
