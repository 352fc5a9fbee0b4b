package io.zkasg.core;

/** A configuration value is missing or invalid; the message names the variable. */
public final class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }
}
