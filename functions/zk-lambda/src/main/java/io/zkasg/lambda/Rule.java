package io.zkasg.lambda;

import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/** One rule an input must pass before a function acts on it, and the reason logged when it does not. */
record Rule<T>(Predicate<T> passes, Function<T, String> reason) {

    /** Throws with the reason of the first rule {@code input} breaks. */
    static <T> void check(List<Rule<T>> rules, T input) throws BadEventException {
        for (var rule : rules) {
            if (!rule.passes().test(input)) {
                throw new BadEventException(rule.reason().apply(input));
            }
        }
    }
}
