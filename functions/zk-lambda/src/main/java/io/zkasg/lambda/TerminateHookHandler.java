package io.zkasg.lambda;

/** EventBridge "EC2 Instance-terminate Lifecycle Action" → stop ZooKeeper, release the slot, complete the hook. */
public final class TerminateHookHandler extends HookHandler {

    public TerminateHookHandler() {
        this(Runtime.wiring());
    }

    public TerminateHookHandler(Wiring wiring) {
        super(Hook.TERMINATE, wiring);
    }
}
