package io.zkasg.core.model;

/** Whether the SSM agent of an instance can take a command now. */
public enum AgentStatus {
    /** Registered and PingStatus Online. */
    ONLINE,
    /** Registered but ConnectionLost or Inactive: a command would sit until it times out. */
    UNREACHABLE,
    /** Not registered yet (the normal state for the first tens of seconds after launch). */
    NOT_REGISTERED
}
