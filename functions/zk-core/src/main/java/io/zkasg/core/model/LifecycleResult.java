package io.zkasg.core.model;

/** The two results of a lifecycle action, as Auto Scaling names them. */
public enum LifecycleResult {
    CONTINUE,
    ABANDON
}
