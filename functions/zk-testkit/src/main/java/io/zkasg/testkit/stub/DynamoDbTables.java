package io.zkasg.testkit.stub;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * DynamoDB's item operations for the stub, as far as the adapters use them: {@code GetItem} and {@code UpdateItem}
 * with condition and update expressions (comparisons, {@code AND}/{@code OR}/{@code NOT}, parentheses,
 * {@code attribute_exists}/{@code attribute_not_exists}; {@code SET} with {@code +}/{@code -} and
 * {@code if_not_exists}, {@code REMOVE}, {@code ADD} on numbers), {@code ExpressionAttributeNames}/{@code Values},
 * {@code ReturnValues} and {@code ReturnValuesOnConditionCheckFailure}. Each call is atomic (one lock), as DynamoDB
 * makes each single-item write. Strings and numbers only; a table exists once written to.
 *
 * <p>Rules from the DynamoDB Developer Guide ("Condition expressions", "Update expressions", "Comparison operator and
 * function reference"): a comparison with a missing attribute is false; values of different types are never equal;
 * ADD on a missing number starts from 0; a failed condition writes nothing and answers
 * {@code ConditionalCheckFailedException}.
 */
final class DynamoDbTables {

    private final Map<String, Map<String, Map<String, Object>>> tables = new ConcurrentHashMap<>();

    synchronized AwsStubServer.Response handle(AwsStubServer.Request request) {
        var json = request.json();
        if (json.get("TableName") == null || json.get("Key") == null) {
            // DynamoDB validates required members before anything else and answers 400 ValidationException.
            return error("ValidationException", "1 validation error detected: TableName and Key are required", null);
        }
        var table = tables.computeIfAbsent(String.valueOf(json.get("TableName")), t -> new LinkedHashMap<>());
        var key = keyOf(json);
        var item = table.get(key);
        try {
            return switch (request.operation()) {
                case "GetItem" -> ok(item == null ? Map.of() : Map.of("Item", item));
                case "UpdateItem" -> update(json, table, key, item);
                default -> error("UnknownOperationException", "the stub has no DynamoDB " + request.operation(), null);
            };
        } catch (RuntimeException e) {
            // An expression this small evaluator cannot read: answered as DynamoDB answers a malformed expression.
            return error("ValidationException", "Invalid expression: " + e.getMessage(), null);
        }
    }

    private AwsStubServer.Response update(Map<String, Object> json, Map<String, Map<String, Object>> table, String key,
                                          Map<String, Object> item) {
        var expr = new Expressions(names(json), values(json));
        var condition = (String) json.get("ConditionExpression");
        var used = Expressions.tokenize((condition == null ? "" : condition) + " "
                + json.getOrDefault("UpdateExpression", ""));
        for (var declared : concat(names(json).keySet(), values(json).keySet())) {
            if (!used.contains(declared)) {
                // DynamoDB refuses a request that declares a name or value its expressions do not use.
                return error("ValidationException", "Value provided in ExpressionAttribute"
                        + (declared.startsWith("#") ? "Names" : "Values") + " unused in expressions: keys: {"
                        + declared + "}", null);
            }
        }
        if (condition != null && !expr.condition(condition, item == null ? Map.of() : item)) {
            var old = "ALL_OLD".equals(json.get("ReturnValuesOnConditionCheckFailure")) && item != null ? item : null;
            return error("ConditionalCheckFailedException", "The conditional request failed", old);
        }
        var updated = new LinkedHashMap<String, Object>(item == null ? attributesOf(json) : item);
        expr.update(String.valueOf(json.get("UpdateExpression")), updated);
        table.put(key, updated);
        var returnValues = String.valueOf(json.getOrDefault("ReturnValues", "NONE"));
        return switch (returnValues) {
            case "ALL_NEW", "UPDATED_NEW" -> ok(Map.of("Attributes", updated));
            case "ALL_OLD", "UPDATED_OLD" -> ok(item == null ? Map.of() : Map.of("Attributes", item));
            default -> ok(Map.of());
        };
    }

    private static List<String> concat(java.util.Set<String> a, java.util.Set<String> b) {
        var all = new ArrayList<String>(a);
        all.addAll(b);
        return all;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> attributesOf(Map<String, Object> json) {
        return new LinkedHashMap<>((Map<String, Object>) json.get("Key"));
    }

    private static String keyOf(Map<String, Object> json) {
        return Json.write(json.get("Key"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> names(Map<String, Object> json) {
        return (Map<String, String>) json.getOrDefault("ExpressionAttributeNames", Map.of());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> values(Map<String, Object> json) {
        return (Map<String, Object>) json.getOrDefault("ExpressionAttributeValues", Map.of());
    }

    private static AwsStubServer.Response ok(Map<String, ?> body) {
        return new AwsStubServer.Response(200, Json.write(body));
    }

    static AwsStubServer.Response error(String code, String message, Map<String, Object> item) {
        var body = new LinkedHashMap<String, Object>();
        body.put("__type", "com.amazonaws.dynamodb.v20120810#" + code);
        body.put("message", message);
        if (item != null) {
            body.put("Item", item);
        }
        return new AwsStubServer.Response(400, Json.write(body));
    }

    /** The expression language over one item; attribute values stay in DynamoDB's JSON ({"S": ..} / {"N": ..}). */
    private static final class Expressions {

        private final Map<String, String> names;
        private final Map<String, Object> values;
        private List<String> tokens;
        private int at;

        Expressions(Map<String, String> names, Map<String, Object> values) {
            this.names = names;
            this.values = values;
        }

        boolean condition(String text, Map<String, Object> item) {
            start(text);
            var result = or(item);
            expectEnd();
            return result;
        }

        void update(String text, Map<String, Object> item) {
            start(text);
            var before = Map.copyOf(item);
            while (at < tokens.size()) {
                var clause = next().toUpperCase(java.util.Locale.ROOT);
                do {
                    var path = path(next());
                    switch (clause) {
                        case "SET" -> {
                            expect("=");
                            var value = operand(before);
                            if (peek("+") || peek("-")) {
                                var sign = next();
                                value = arithmetic(value, operand(before), sign.equals("+"));
                            }
                            item.put(path, Objects.requireNonNull(value, "SET from a missing attribute"));
                        }
                        case "REMOVE" -> item.remove(path);
                        case "ADD" -> item.put(path, arithmetic(item.getOrDefault(path, Map.of("N", "0")),
                                operand(before), true));
                        default -> throw new IllegalArgumentException("update clause " + clause);
                    }
                } while (peek(",") && next() != null);
            }
        }

        private boolean or(Map<String, Object> item) {
            var result = and(item);
            while (peekWord("OR")) {
                next();
                result = and(item) | result;
            }
            return result;
        }

        private boolean and(Map<String, Object> item) {
            var result = unary(item);
            while (peekWord("AND")) {
                next();
                result = unary(item) & result;
            }
            return result;
        }

        private boolean unary(Map<String, Object> item) {
            if (peekWord("NOT")) {
                next();
                return !unary(item);
            }
            if (peek("(")) {
                next();
                var result = or(item);
                expect(")");
                return result;
            }
            if (peekWord("attribute_exists") || peekWord("attribute_not_exists")) {
                var exists = next().equals("attribute_exists");
                expect("(");
                var path = path(next());
                expect(")");
                return item.containsKey(path) == exists;
            }
            var left = operand(item);
            var op = next();
            var right = operand(item);
            if (left == null || right == null) {
                return false;
            }
            int cmp = compare(left, right);
            return switch (op) {
                case "=" -> cmp == 0;
                case "<>" -> cmp != 0;
                case "<" -> cmp != Integer.MIN_VALUE && cmp < 0;
                case "<=" -> cmp != Integer.MIN_VALUE && cmp <= 0;
                case ">" -> cmp != Integer.MIN_VALUE && cmp > 0;
                case ">=" -> cmp != Integer.MIN_VALUE && cmp >= 0;
                default -> throw new IllegalArgumentException("comparator " + op);
            };
        }

        /** A value, a path's value (null when missing) or if_not_exists(path, value). */
        private Object operand(Map<String, Object> item) {
            var token = next();
            if (token.startsWith(":")) {
                return Objects.requireNonNull(values.get(token), "no value for " + token);
            }
            if (token.equals("if_not_exists")) {
                expect("(");
                var path = path(next());
                expect(",");
                var fallback = operand(item);
                expect(")");
                return item.containsKey(path) ? item.get(path) : fallback;
            }
            return item.get(path(token));
        }

        private String path(String token) {
            return token.startsWith("#") ? Objects.requireNonNull(names.get(token), "no name for " + token) : token;
        }

        /** Integer.MIN_VALUE when the types differ (then only <> holds). */
        @SuppressWarnings("unchecked")
        private static int compare(Object left, Object right) {
            var l = (Map<String, Object>) left;
            var r = (Map<String, Object>) right;
            if (l.containsKey("N") && r.containsKey("N")) {
                return new BigDecimal(String.valueOf(l.get("N"))).compareTo(new BigDecimal(String.valueOf(r.get("N"))));
            }
            if (l.containsKey("S") && r.containsKey("S")) {
                return Integer.signum(String.valueOf(l.get("S")).compareTo(String.valueOf(r.get("S"))));
            }
            return Integer.MIN_VALUE;
        }

        @SuppressWarnings("unchecked")
        private static Object arithmetic(Object left, Object right, boolean plus) {
            var l = new BigDecimal(String.valueOf(((Map<String, Object>) left).get("N")));
            var r = new BigDecimal(String.valueOf(((Map<String, Object>) right).get("N")));
            return Map.of("N", (plus ? l.add(r) : l.subtract(r)).toPlainString());
        }

        private void start(String text) {
            tokens = tokenize(text);
            at = 0;
        }

        private String next() {
            if (at >= tokens.size()) {
                throw new IllegalArgumentException("expression ends early");
            }
            return tokens.get(at++);
        }

        private boolean peek(String token) {
            return at < tokens.size() && tokens.get(at).equals(token);
        }

        private boolean peekWord(String word) {
            return at < tokens.size() && tokens.get(at).equalsIgnoreCase(word);
        }

        private void expect(String token) {
            var got = next();
            if (!got.equals(token)) {
                throw new IllegalArgumentException("expected " + token + ", got " + got);
            }
        }

        private void expectEnd() {
            if (at != tokens.size()) {
                throw new IllegalArgumentException("unexpected " + tokens.get(at));
            }
        }

        private static List<String> tokenize(String text) {
            var out = new ArrayList<String>();
            int i = 0;
            while (i < text.length()) {
                char c = text.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                } else if ("(),=+-".indexOf(c) >= 0) {
                    out.add(String.valueOf(c));
                    i++;
                } else if (c == '<' || c == '>') {
                    var two = i + 1 < text.length() && (text.charAt(i + 1) == '=' || text.charAt(i + 1) == '>');
                    out.add(text.substring(i, two ? i + 2 : i + 1));
                    i += two ? 2 : 1;
                } else {
                    int j = i;
                    while (j < text.length() && (Character.isLetterOrDigit(text.charAt(j))
                            || "#:_.".indexOf(text.charAt(j)) >= 0)) {
                        j++;
                    }
                    if (j == i) {
                        throw new IllegalArgumentException("unexpected '" + c + "' in " + text);
                    }
                    out.add(text.substring(i, j));
                    i = j;
                }
            }
            return out;
        }
    }
}
