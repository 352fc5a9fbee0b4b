package io.zkasg.core;

import java.util.regex.Pattern;

/**
 * The instance-side scripts ({@code scripts/bin}, {@code scripts/lib}) as a base64 gzip tar, built with the function
 * and sent in the command, so the instance runs exactly the scripts this version of the orchestrator was tested with.
 */
public record ScriptBundle(String base64, String sha256) {

    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]+={0,2}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public ScriptBundle {
        if (!BASE64.matcher(base64).matches()) {
            throw new IllegalArgumentException("script bundle is not base64");
        }
        if (!SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException("script bundle checksum is not a sha256 hex digest");
        }
    }
}
