package vectorgrad.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The first calls of a process, before C2 has compiled the vector kernels.
 *
 * <p>Until C2 compiles it, Vector API code runs its Java fallback: every operation an object and a loop
 * over lanes, far slower than a plain loop, which C1 compiles within a millisecond of its first
 * iterations. The MNIST model's first one-image inference after loading its weights took 338 ms, against
 * 25 ms for the same arithmetic in scalar loops. So the kernels named by {@link Kernel} have a scalar
 * twin in {@link ColdKernels} that performs, for every output, the float operations its vector form
 * performs in that output's lane, in the same order (bit for bit the same results: tested), and calls of up
 * to the kernel's {@link Kernel#limit} go to the twin while the kernel is cold. The first cold call of a kernel hands a
 * warm-up to one background thread ({@code vectorgrad-warmup}), which runs the vector form on zeroed
 * buffers of that call's shape until it is faster than the twin on the same shape (or for
 * {@link #WARM_UP_LIMIT_NANOS}); from then on every call takes the vector form. Which form served a call
 * does not show in its result, so results do not depend on timing either.
 *
 * <p>The twins are themselves interpreted until C1 compiles them: served so, the MNIST model's first
 * one-image inference spent most of its 66-100 ms in twins running interpreted. So that thread starts
 * when the kernels are first used ({@link #begin}, from the initialisation of the thread pool, the random
 * generator and the elementwise kernels: setting the thread count, initialising a model's parameters or
 * creating a tensor from values comes first in a program) and first runs every twin on small shapes until
 * C1 has compiled it ({@link #warmTwins}), while the program builds its model and loads its weights; a
 * cold call then finds its twin compiled.
 *
 * <p>{@code -Dvectorgrad.coldStart=false} turns this off (the test suites do, so that the vector kernels
 * serve their first calls there too; the twins have tests of their own).
 */
final class ColdStart {
    private ColdStart() {}

    /**
     * The kernels with a scalar twin, each with the largest call its twin serves (flops for products and
     * convolutions, elements for pooling and maps); each warms up on its own. The limits take in a model's
     * one-image inference and leave out a training or evaluation batch: on a large call the vector form
     * is compiled during the call itself, while a twin stays at scalar speed (with one limit of 2^26 for
     * all, {@code mnist train --max-steps 20} took 7.0-7.6 s instead of 6.8 and {@code mnist eval} 4.9-5.4 s
     * instead of 4.2: the first layer, its ReLU and the pooling of batches of 64 and 100 ran as twins).
     */
    enum Kernel {
        /** {@link DirectConv3x3}'s forward (an image model's first layer): 0.4 MFLOP an MNIST image. */
        CONV_DIRECT_FORWARD(1L << 22),
        /** {@link WinogradConv}'s forward (3x3 stride-1 layers with channels in 16s and 32s): 21 MFLOP. */
        CONV_WINOGRAD_FORWARD(1L << 25),
        /** {@link DotGemm}: x·Wᵀ with at most 16 rows (a Linear layer at a small batch): 2.4 MFLOP. */
        DOT_GEMM(1L << 25),
        /** sgemm's unpacked loops, below the packing threshold (always small). */
        SMALL_GEMM(Long.MAX_VALUE),
        /** 2x2 max pooling's vector form: 36,864 elements. */
        MAX_POOL_2X2(1L << 17),
        /** The elementwise maps whose vector form is exact ({@link Elementwise#exact}: ReLU, negation, ...). */
        EXACT_MAPS(1L << 17),
        /**
         * Softmax and log-softmax rows of at least a vector ({@link Softmax#forward}): a classifier's 10 logits
         * at 8 lanes or fewer. Served by the vector form, the MNIST model's first one-image inference spent 55 of
         * its 200 ms there (8 lanes; at 16 lanes such a row runs the scalar path).
         */
        SOFTMAX_ROWS(1L << 17);

        final long limit;

        Kernel(long limit) {
            this.limit = limit;
        }
    }

    /** Whether cold calls go to the twins: on unless {@code -Dvectorgrad.coldStart=false}, and only with vectors. */
    static final boolean ENABLED = Config.COLD_START && Simd.VECTOR_AVAILABLE;
    /** A warm-up that never gets the vector form ahead of the twin ends after this long all the same. */
    static final long WARM_UP_LIMIT_NANOS = 5_000_000_000L;

    /** How long after the first cold call the warm-ups start. */
    static final long WARM_UP_DELAY_MILLIS = 200;

    private static final int COLD = 0, WARMING = 1, WARM = 2;
    private static final AtomicIntegerArray STATE = new AtomicIntegerArray(Kernel.values().length);
    private static final LinkedBlockingQueue<Request> QUEUE = new LinkedBlockingQueue<>();
    private static volatile Thread warmer;
    /** Tests: null follows the state; TRUE sends every call to the twins (no warm-up); FALSE none. */
    private static volatile Boolean forced;

    /** Floats in the vector form's lanes (the twins of the dot products mirror its per-lane sums). */
    static final int LANES = Simd.floatLanes();

    /**
     * Starts the warm-up thread, which first runs every twin until it is compiled ({@link #warmTwins});
     * called when the kernels are first used. Nothing when cold calls are off.
     */
    static void begin() {
        if (ENABLED && forced == null) startWarmer();
    }

    /** Whether this call of {@code k}, of {@code work} flops or elements, goes to the scalar twin. */
    static boolean cold(Kernel k, long work) {
        Boolean f = forced;
        if (f != null) return f;
        if (Thread.currentThread() == warmer) return warmerCold;
        return ENABLED && work <= k.limit && STATE.get(k.ordinal()) != WARM;
    }

    /** Read and written by the warm-up thread only: whether its calls go to the twins (while timing them). */
    private static boolean warmerCold;

    /** On the warm-up thread: runs {@code call} with the twins serving it (to time them through the same entry). */
    static void asCold(Runnable call) {
        warmerCold = true;
        try {
            call.run();
        } finally {
            warmerCold = false;
        }
    }

    /**
     * After a cold call of {@code k}: the first one schedules the kernel's warm-up for {@code shape}, the
     * call's description (a {@link Conv.Geometry}, {@link GemmCall}, {@link PoolCall}, {@link MapCall}
     * or {@link SoftmaxCall}). The warm-up's code is built on the warm-up thread, so the first call does not
     * wait for its lambdas to be spun.
     */
    static void served(Kernel k, Object shape) {
        if (forced != null || Thread.currentThread() == warmer || !STATE.compareAndSet(k.ordinal(), COLD, WARMING))
            return;
        if (firstColdNanos == 0) firstColdNanos = System.nanoTime();
        QUEUE.add(new Request(k, shape));
        startWarmer();
    }

    private record Request(Kernel kernel, Object shape) {}

    /** A product's shape and scalars, as its warm-up repeats it. */
    record GemmCall(boolean transA, boolean transB, int m, int n, int k, float alpha, float beta) {}

    /** An elementwise map and its length, as its warm-up repeats it. */
    record MapCall(Elementwise.Unary op, long n) {}

    /** A 2x2 max pooling, with its indices or without, as its warm-up repeats it. */
    record PoolCall(MaxPool.Geometry geometry, boolean indices) {}

    /** Softmax rows (log-softmax with {@code log}), as their warm-up repeats them. */
    record SoftmaxCall(int rows, int n, boolean log) {}

    /** A warm-up's two forms of one call on buffers of its own: the twin, and the vector form. */
    private record Pair(Runnable scalar, Runnable vector) {}

    /**
     * The call {@code r} describes, on zeroed buffers of its shape, through the kernel's public entry point:
     * on the warm-up thread that takes the vector form, and the twin inside {@link #asCold}.
     */
    private static Pair prepare(Request r) {
        Runnable call = switch (r.kernel()) {
            case CONV_DIRECT_FORWARD, CONV_WINOGRAD_FORWARD -> {
                Conv.Geometry g = (Conv.Geometry) r.shape();
                MemorySegment x = floats(g.inputSize()), w = floats(g.weightSize());
                MemorySegment b = floats(g.outC()), out = floats(g.outputSize());
                yield () -> Conv.forward(g, x, w, b, out);
            }
            case DOT_GEMM, SMALL_GEMM -> {
                GemmCall p = (GemmCall) r.shape();
                int m = p.m(), n = p.n(), k = p.k();
                MemorySegment a = floats((long) m * k), b = floats((long) k * n), c = floats((long) m * n);
                int lda = p.transA() ? m : k, ldb = p.transB() ? k : n;
                yield () ->
                        Gemm.sgemm(p.transA(), p.transB(), m, n, k, p.alpha(), a, 0, lda, b, 0, ldb, p.beta(), c, 0, n);
            }
            case MAX_POOL_2X2 -> {
                PoolCall p = (PoolCall) r.shape();
                MaxPool.Geometry g = p.geometry();
                long in = (long) g.planes() * g.h() * g.w(), out = (long) g.planes() * g.outH() * g.outW();
                MemorySegment x = floats(in), o = floats(out), ix = p.indices() ? floats(out) : null;
                yield () -> MaxPool.maxForward(g, x, o, ix);
            }
            case EXACT_MAPS -> {
                MapCall p = (MapCall) r.shape();
                MemorySegment a = floats(p.n()), out = floats(p.n());
                yield () -> Elementwise.unary(p.op(), a, 0, out, 0, p.n());
            }
            case SOFTMAX_ROWS -> {
                SoftmaxCall p = (SoftmaxCall) r.shape();
                long n = (long) p.rows() * p.n();
                MemorySegment x = floats(n), out = floats(n);
                yield () -> Softmax.forward(p.rows(), p.n(), 1, x, out, p.log());
            }
        };
        return new Pair(() -> asCold(call), call);
    }

    /**
     * A zeroed native buffer of {@code floats} floats (at least one), in an automatic arena as every
     * tensor's and scratch buffer's: segments of a confined arena going through the same JDK memory-access
     * code changed its profile, and C2 then recompiled Adam's vector loop 30 times (profile_predicate
     * traps): the MNIST step at batch 64 took 84 ms instead of 21.
     */
    private static MemorySegment floats(long floats) {
        return Arena.ofAuto().allocate(Math.max(1, floats) * Float.BYTES, 64);
    }

    private static synchronized void startWarmer() {
        if (warmer != null) return;
        Thread t = new Warmer();
        warmer = t;
        t.start();
    }

    /** The warm-up thread (a class of its own rather than a lambda: one fewer to spin in the first call). */
    private static final class Warmer extends Thread {
        Warmer() {
            super("vectorgrad-warmup");
            setDaemon(true);
        }

        @Override
        public void run() {
            drain();
        }
    }

    private static void drain() {
        Parallel.inlineOnThisThread(); // a warm-up must not take the pool from the program
        try {
            warmTwins();
        } catch (RuntimeException | Error e) {
            System.getLogger("vectorgrad")
                    .log(System.Logger.Level.WARNING, "vectorgrad: the scalar twins' warm-up failed", e);
        }
        while (true) {
            try {
                Request r = QUEUE.take();
                // the first calls of a program run alone: on two cores a warm-up beside the MNIST model's
                // first one-image inference made it 157-177 ms instead of 105-110 (the compiler threads
                // take the rest)
                long wait = firstColdNanos + WARM_UP_DELAY_MILLIS * 1_000_000L - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
                warm(r);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException | Error e) {
                // the kernel is marked warm all the same (its vector form is the one every other call takes)
                System.getLogger("vectorgrad")
                        .log(System.Logger.Level.WARNING, "vectorgrad: a kernel warm-up failed", e);
            }
        }
    }

    /** When the first cold call was served (0 before it). */
    private static volatile long firstColdNanos;

    /**
     * Calls of each twin in {@link #warmTwins}, its shapes in turn: past C1's thresholds (a method with
     * loops is compiled after 100-200 calls, more while C1's queue is long). With 120, the first one-image
     * inference took 43-67 ms (the compiled twins not always there in time); with 240, 31-46.
     */
    static final int TWIN_WARM_UP_CALLS = 240;

    /**
     * Runs every twin {@link #TWIN_WARM_UP_CALLS} times on small shapes, in the order of an image
     * classifier's layers: the interpreter counts the calls and loops and C1 compiles the twins, so that
     * a program's first calls, which come later, run compiled code. (While C1's queue is long, as at a
     * program's start, it raises the count a method needs: the twins keep their work in small methods
     * that a call runs many times — a channel, an output channel of a tile, a tap — and the shapes here
     * have several channels for the same reason.) The twins are called directly (the
     * entry points' checks and plans are the program's own first calls' business): through them, with the
     * smallest shapes the plans send to a twin, this took 140-190 ms of the second core and slowed the
     * loading of the weights beside it by half. The shapes take the branches the model's calls take
     * (padding and none, F(2x2) and F(4x4) tiles, a k longer than a dot product's block of lanes, softmax
     * and log-softmax), so that code compiled from their profile does not meet an untaken branch.
     */
    static void warmTwins() {
        // each kernel's shapes in turn, the kernels in the order of an image classifier's layers
        Runnable[][] kernels = {
            {
                convCall(new Conv.Geometry(1, 1, 6, 6, 4, 3, 3, 1, 1, 0, 0, 1, 1), false),
                convCall(new Conv.Geometry(1, 1, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1), false)
            },
            {mapCall(Elementwise.Unary.RELU, 1000)},
            {
                convCall(new Conv.Geometry(1, 4, 4, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1), true),
                convCall(new Conv.Geometry(1, 4, 2, 2, 4, 3, 3, 1, 1, 1, 1, 1, 1), true)
            },
            {poolCall(new MaxPool.Geometry(2, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1, false))},
            {gemmCall(1, 2, 2 * LANES + 3), gemmCall(2, 3, LANES - 1)},
            {softmaxCall(2, LANES + 2, false), softmaxCall(2, LANES + 2, true)},
        };
        warmerCold = true;
        try {
            for (Runnable[] shapes : kernels)
                for (int i = 0; i < TWIN_WARM_UP_CALLS; i++) shapes[i % shapes.length].run();
        } finally {
            warmerCold = false;
        }
    }

    /** The Winograd twin when {@code winograd}, else the direct one. */
    private static Runnable convCall(Conv.Geometry g, boolean winograd) {
        MemorySegment x = floats(g.inputSize()), w = floats(g.weightSize());
        MemorySegment b = floats(g.outC()), out = floats(g.outputSize());
        return winograd
                ? () -> ColdKernels.winogradForward(g, x, w, b, out)
                : () -> ColdKernels.direct3x3Forward(g, x, w, b, out);
    }

    private static Runnable mapCall(Elementwise.Unary op, int n) {
        MemorySegment a = floats(n), out = floats(n);
        return () -> ColdKernels.unary(op, a, 0, out, 0, n);
    }

    private static Runnable gemmCall(int m, int n, int k) {
        MemorySegment a = floats((long) m * k), b = floats((long) n * k), c = floats((long) m * n);
        return () -> ColdKernels.dotGemm(m, n, k, 1f, a, 0, k, b, 0, k, c, 0, n, k);
    }

    /** Through the entry point: the twin is the entry point's scalar loop. */
    private static Runnable poolCall(MaxPool.Geometry g) {
        long in = (long) g.planes() * g.h() * g.w(), out = (long) g.planes() * g.outH() * g.outW();
        MemorySegment x = floats(in), o = floats(out), ix = floats(out);
        return () -> MaxPool.maxForward(g, x, o, ix);
    }

    private static Runnable softmaxCall(int rows, int n, boolean log) {
        MemorySegment x = floats((long) rows * n), out = floats((long) rows * n);
        return () -> ColdKernels.softmaxRows(x, out, rows, n, log);
    }

    private static void warm(Request request) {
        if (VectorKernels.LANES != LANES) {
            // the twins' dot products assumed another width (Simd's reading of it is tested to agree):
            // no more cold calls of any kernel
            System.getLogger("vectorgrad")
                    .log(
                            System.Logger.Level.WARNING,
                            "vectorgrad: vector width {0} lanes, expected {1}: scalar twins off",
                            VectorKernels.LANES,
                            LANES);
            for (int i = 0; i < STATE.length(); i++) STATE.set(i, WARM);
            return;
        }
        try {
            Pair p = prepare(request);
            long scalar = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) scalar = Math.min(scalar, time(p.scalar()));
            long end = System.nanoTime() + WARM_UP_LIMIT_NANOS;
            // at least a few vector calls, then until one is as fast as the twin
            for (int runs = 1; ; runs++) {
                long t = time(p.vector());
                if ((runs >= 3 && t <= scalar) || System.nanoTime() - end > 0) break;
            }
        } finally {
            STATE.set(request.kernel().ordinal(), WARM);
        }
    }

    private static long time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return System.nanoTime() - t0;
    }

    // ---------------------------------------------------------------- tests

    /** Tests: {@code true} sends every call of every kernel to its twin, {@code false} none, null restores. */
    static void force(Boolean cold) {
        forced = cold;
    }

    /** Tests: whether {@code k} has finished warming up. */
    static boolean isWarm(Kernel k) {
        return STATE.get(k.ordinal()) == WARM;
    }

    /** Tests: forget every warm-up (a warm-up already running still marks its kernel warm when done). */
    static void reset() {
        for (int i = 0; i < STATE.length(); i++) STATE.set(i, COLD);
    }
}
