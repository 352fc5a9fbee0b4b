package io.zkasg.stack;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * EventBridge event pattern matching, for the subset of the pattern language this project uses: nested objects,
 * arrays of alternatives (exact strings or numbers), {@code prefix}, {@code anything-but} (a value or a list) and
 * {@code exists}. A field the pattern names must be present, except under {@code exists: false}; an array in the
 * event matches when any of its elements does.
 */
final class EventPattern {

    private EventPattern() {
    }

    static boolean matches(Map<String, Object> pattern, Map<String, Object> event) {
        for (var entry : pattern.entrySet()) {
            var value = event.get(entry.getKey());
            var rule = entry.getValue();
            if (rule instanceof Map<?, ?>) {
                if (!(value instanceof Map<?, ?>) || !matches(CfnTemplate.map(rule), CfnTemplate.map(value))) {
                    return false;
                }
            } else if (!anyAlternative(CfnTemplate.list(rule), value)) {
                return false;
            }
        }
        return true;
    }

    private static boolean anyAlternative(List<Object> alternatives, Object value) {
        List<Object> values = value == null ? List.of() : CfnTemplate.list(value);
        for (var alternative : alternatives) {
            if (alternative instanceof Map<?, ?> operator) {
                if (operatorMatches(CfnTemplate.map(operator), value, values)) {
                    return true;
                }
            } else if (values.stream().anyMatch(v -> same(alternative, v))) {
                return true;
            }
        }
        return false;
    }

    private static boolean operatorMatches(Map<String, Object> operator, Object value, List<Object> values) {
        if (operator.size() != 1) {
            throw new IllegalArgumentException("one operator per object: " + operator);
        }
        var entry = operator.entrySet().iterator().next();
        return switch (entry.getKey()) {
            case "prefix" -> values.stream().anyMatch(v -> v instanceof String s
                    && s.startsWith(String.valueOf(entry.getValue())));
            case "anything-but" -> !values.isEmpty() && values.stream().allMatch(v ->
                    CfnTemplate.list(entry.getValue()).stream().noneMatch(excluded -> same(excluded, v)));
            case "exists" -> Boolean.TRUE.equals(entry.getValue()) == (value != null);
            default -> throw new IllegalArgumentException("pattern operator not supported here: " + entry.getKey());
        };
    }

    private static boolean same(Object patternValue, Object eventValue) {
        if (patternValue instanceof Number a && eventValue instanceof Number b) {
            return a.doubleValue() == b.doubleValue();
        }
        return !(eventValue instanceof Map<?, ?>) && !(eventValue instanceof List<?>)
                && Objects.equals(String.valueOf(patternValue), String.valueOf(eventValue))
                && (patternValue instanceof String) == (eventValue instanceof String);
    }
}
