package io.zkasg.core.port;

import java.time.Duration;

/** Waits a short while (a few seconds at most) between polls; tests substitute a virtual clock. */
public interface Pauser {

    void pause(Duration duration);
}
