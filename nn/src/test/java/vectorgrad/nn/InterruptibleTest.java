package vectorgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import sun.misc.Signal;
import vectorgrad.nn.train.Interruptible;

class InterruptibleTest {
    @Test
    void stopsAtMaxStepsAndPrintsInTheTextbooksForm() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (Interruptible loop = Interruptible.open()
                .maxSteps(7)
                .printEvery(3)
                .printTo(new PrintStream(buf, true, StandardCharsets.UTF_8))) {
            while (loop.next()) loop.report("loglik=%.3f", -1.0 / (loop.epoch() + 1));
            assertEquals(7, loop.steps());
        }
        assertEquals(
                "epoch=0 loglik=-1.000\nepoch=3 loglik=-0.250\nepoch=6 loglik=-0.143\n",
                buf.toString(StandardCharsets.UTF_8));
    }

    @Test
    void stopFromAnotherThreadEndsAtAStepBoundary() throws Exception {
        try (Interruptible loop = Interruptible.open().printTo(new PrintStream(new ByteArrayOutputStream()))) {
            Thread stopper = new Thread(() -> {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ignored) {
                    // the loop stops anyway
                }
                loop.stop();
            });
            stopper.start();
            long steps = 0;
            while (loop.next()) steps++;
            stopper.join();
            assertTrue(steps > 0);
            assertFalse(loop.wasInterrupted());
        }
    }

    @Test
    void ctrlCEndsTheLoopCleanly() throws Exception {
        try (Interruptible loop = Interruptible.open().printTo(new PrintStream(new ByteArrayOutputStream()))) {
            long steps = 0;
            while (loop.next()) {
                if (++steps == 10) Signal.raise(new Signal("INT"));
                if (steps > 1_000_000_000L) throw new AssertionError("SIGINT did not stop the loop");
                Thread.onSpinWait();
            }
            assertTrue(loop.wasInterrupted());
            assertTrue(steps >= 10);
        }
    }

    @Test
    void sigtermEndsTheLoopWithStatus143AndASecondSignalReachesTheCallback() throws Exception {
        java.util.concurrent.atomic.AtomicReference<String> second =
                new java.util.concurrent.atomic.AtomicReference<>();
        try (Interruptible loop = Interruptible.open()
                .onSecondSignal(second::set)
                .printTo(new PrintStream(new ByteArrayOutputStream()))) {
            long steps = 0;
            while (loop.next()) {
                if (++steps == 10) Signal.raise(new Signal("TERM"));
                if (steps > 1_000_000_000L) throw new AssertionError("SIGTERM did not stop the loop");
                Thread.onSpinWait();
            }
            assertEquals("TERM", loop.stopSignal());
            assertEquals(143, loop.exitStatus());
            Signal.raise(new Signal("INT"));
            for (int i = 0; i < 1000 && second.get() == null; i++) Thread.sleep(5);
            assertEquals("INT", second.get(), "the second signal goes to the application's callback, not to an exit");
        }
    }
}
