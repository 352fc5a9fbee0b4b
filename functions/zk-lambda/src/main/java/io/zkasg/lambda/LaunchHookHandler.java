package io.zkasg.lambda;

/** EventBridge "EC2 Instance-launch Lifecycle Action" → claim a slot and send the bootstrap command. */
public final class LaunchHookHandler extends HookHandler {

    public LaunchHookHandler() {
        this(Runtime.wiring());
    }

    public LaunchHookHandler(Wiring wiring) {
        super(Hook.LAUNCH, wiring);
    }
}
