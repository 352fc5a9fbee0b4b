package io.zkasg.testkit.stub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;

/** The stub's JSON: request bodies parsed with Jackson, string literals escaped by Jackson. */
final class Json {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private Json() {
    }

    /** Parses a JSON text into maps, lists, strings, numbers, booleans and nulls. */
    static Object parse(String text) {
        try {
            return decimals(MAPPER.readValue(text, Object.class));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Every number as a BigDecimal, so that tests compare numbers one way whatever their JSON spelling. */
    private static Object decimals(Object value) {
        if (value instanceof java.util.Map<?, ?> map) {
            var copy = new java.util.LinkedHashMap<Object, Object>();
            map.forEach((k, v) -> copy.put(k, decimals(v)));
            return copy;
        } else if (value instanceof java.util.List<?> list) {
            return list.stream().map(Json::decimals).collect(java.util.stream.Collectors.toList());
        } else if (value instanceof Number n && !(n instanceof BigDecimal)) {
            return new BigDecimal(n.toString());
        }
        return value;
    }

    /** Writes maps, lists, strings and numbers as a JSON text. */
    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Escapes {@code s} for use inside a JSON string literal. */
    static String escape(String s) {
        return new String(JsonStringEncoder.getInstance().quoteAsString(s));
    }
}
