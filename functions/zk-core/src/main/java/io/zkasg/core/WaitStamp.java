package io.zkasg.core;

import java.time.Instant;
import java.util.Optional;

/**
 * What a waiting lifecycle action waits until, kept on the instance ({@link InstanceTags#WAIT}): the reconciler knows
 * a wait chain died when its stamp is older than the grace. The stamp also keeps when the action started, so a
 * re-driven action keeps its deadlines (LAUNCH_MAX_WAIT_SECONDS, TERMINATE_MAX_WAIT_SECONDS), and when the hook's
 * heartbeat timer last restarted, so the reconciler keeps the action alive before that timer runs low, whatever the
 * wait's end.
 *
 * @param beat when the hook's heartbeat timer last restarted as the writer knew it (a later heartbeat it did not
 *     know of only makes the action safer); {@link Instant#EPOCH} when unknown (a stamp written before the field
 *     existed), taken as long ago
 * @param hook the hook whose action waits: a launch stamp left on a terminating instance is not the terminate's
 */
public record WaitStamp(Instant until, Instant started, Instant beat, String hook) {

    /** The tag value: until, started, hook, beat (epoch seconds; the first three as before the beat was kept). */
    public String format() {
        return until.getEpochSecond() + " " + started.getEpochSecond() + " " + hook + " " + beat.getEpochSecond();
    }

    /** The stamp for {@code hook} in a tag value; empty when absent, malformed or of another hook. */
    public static Optional<WaitStamp> parse(Optional<String> value, String hook) {
        if (value.isEmpty()) {
            return Optional.empty();
        }
        var parts = value.get().strip().split(" ");
        if (parts.length < 3 || parts.length > 4 || !parts[2].equals(hook)) {
            return Optional.empty();
        }
        try {
            var beat = parts.length == 4 ? Instant.ofEpochSecond(Long.parseLong(parts[3])) : Instant.EPOCH;
            return Optional.of(new WaitStamp(Instant.ofEpochSecond(Long.parseLong(parts[0])),
                    Instant.ofEpochSecond(Long.parseLong(parts[1])), beat, hook));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The reconciler's "first seen waiting" marker value ({@link InstanceTags#WAIT_SEEN}). */
    static String seen(Instant at, String hook) {
        return at.getEpochSecond() + " " + hook;
    }

    /** When the reconciler first saw {@code hook}'s action waiting without a stamp; empty when not (for this hook). */
    static Optional<Instant> parseSeen(Optional<String> value, String hook) {
        if (value.isEmpty()) {
            return Optional.empty();
        }
        var parts = value.get().strip().split(" ");
        if (parts.length != 2 || !parts[1].equals(hook)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.ofEpochSecond(Long.parseLong(parts[0])));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
