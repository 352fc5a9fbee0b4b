package io.zkasg.aws;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Follows an operation's {@code NextToken} until the last page, as the SDK's paginators do. The adapters call the
 * operation itself rather than its paginator: every generated paginator rebuilds its request through the service's
 * base request type ({@code Ec2Request.toBuilder()}), and a whole-program shrinker must then keep every request
 * class of the service (hundreds of model classes no code path reaches). Same requests on the wire.
 */
final class Pages {

    private Pages() {
    }

    /**
     * The items of every page: {@code fetch} gets the previous page's token (null for the first page),
     * {@code next} reads a page's token (null or empty on the last page).
     */
    static <P, T> List<T> all(Function<String, P> fetch, Function<P, String> next, Function<P, List<T>> items) {
        List<T> all = new ArrayList<>();
        String token = null;
        do {
            P page = fetch.apply(token);
            all.addAll(items.apply(page));
            token = next.apply(page);
        } while (token != null && !token.isEmpty());
        return all;
    }
}
