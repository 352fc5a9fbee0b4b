package io.zkasg.core;

import io.zkasg.core.model.Membership;
import io.zkasg.core.port.ZkProbe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;
import java.util.Set;

/**
 * The ensemble's committed configuration, read from its serving members ({@code conf}): the newest version any of
 * them reports (a follower may trail the leader by a commit; a configuration is only ever replaced by a newer one).
 * Every decision that counts a majority counts the voters of this configuration, and the slots only when no serving
 * member answered (docs/sizing.md).
 */
public final class CurrentConfiguration {

    private CurrentConfiguration() {
    }

    /** Asks each of {@code servingIps} for its configuration; the newest, or empty when none reports one. */
    public static Optional<Membership> read(ZkProbe probe, Collection<String> servingIps, int port,
                                            Duration timeout) {
        var answers = new ArrayList<Membership>();
        for (var ip : servingIps) {
            probe.membership(ip, port, timeout).ifPresent(answers::add);
        }
        return newest(answers);
    }

    /** The newest of these answers (the largest version). */
    public static Optional<Membership> newest(Collection<Membership> answers) {
        return answers.stream().max(Comparator.comparingLong(Membership::version));
    }

    /** The voters a majority is counted of: the configuration's participants, or every slot when none was read. */
    public static Set<Integer> voters(Optional<Membership> configuration, Set<Integer> slots) {
        return configuration.map(Membership::voters).filter(v -> !v.isEmpty()).orElse(slots);
    }
}
