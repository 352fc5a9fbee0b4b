package io.zkasg.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** A function that EventBridge invokes with one event: the skeleton once, its summary as the JSON answer. */
public abstract class EventHandler<E, R> extends Handler<E, R> implements RequestStreamHandler {

    EventHandler(Wiring wiring) {
        super(wiring);
    }

    @Override
    public final void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Outcomes.write(output, handle(input.readAllBytes()));
    }
}
