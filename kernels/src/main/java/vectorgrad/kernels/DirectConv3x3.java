package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A direct 3x3 convolution of one-channel images — the first layer of an image model, as the MNIST
 * model's {@code Conv2d(1, 32, 3)} — forward and weight gradient; stride 1, dilation 1, any padding.
 * im2col + GEMM suits it badly: nine taps make a product with k = 9, so the micro-kernel stores a whole
 * tile every nine steps. Here output positions lie in the vector lanes: at 16 lanes the nine shifted
 * image vectors of a block of positions are loaded once and used by two output channels whose 18 weights
 * stay in registers; with fewer lanes (AVX2's 16 registers) one channel at a time ({@link #PAIRS}). With
 * {@code relu}, the forward applies the ReLU as it stores. The last block of a row overlaps the one before (forward: the same values are written
 * twice) or has its lanes past the row zeroed (weight gradient: nothing may count twice; a pixel read
 * past the row is multiplied by zero — an infinite one would give NaN where the definition gives ±∞, in a
 * step that has diverged either way).
 */
final class DirectConv3x3 {
    private DirectConv3x3() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    /** Fused multiply-add where it is an instruction, else multiply then add (see {@link Config#FMA}). */
    private static final boolean FMA = Config.FMA;

    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /** Lane j picks lane j + k of the pair (v, next): the window k pixels on. */
    private static final FloatVector NEXT1 = next(1), NEXT2 = next(2);

    /**
     * Whether the two-vector selects and the masked blend are instructions: not on x86 held to SSE, where
     * the weight gradient loads the shifted windows instead and zeroes the lanes past a row through their
     * bits (there the selects ran in Java: conv1's weight gradient at batch 64 took 5.5 ms on two threads,
     * 0.39 ms at 512 bits).
     */
    private static final boolean SELECTS = Simd.FULL_FLOAT_VECTORS;
    /**
     * Whether a pass takes output channels two at a time, sharing the image's loads: its loops hold 29
     * vectors (18 weights or sums, 9 windows, 2 of the channels' own), which AVX-512's 32 registers take
     * and AVX2's 16 do not. Below 16 lanes one channel at a time: there the two-channel loops spilled to
     * the stack, and C2 took 2.1 s to compile this class in a 20-step MNIST training run (the weight
     * gradient's on-stack-replacement compile alone 1.06 s), against 0.7 s for the one-channel loops; the
     * passes ran about as fast either way (conv1 at batch 64, one thread: forward 0.73 against 0.79-0.94
     * ms, weight gradient 1.21-1.25 against 1.09 ms).
     */
    static final boolean PAIRS = L >= 16;

    /** L lanes of all-ones bits then L of zeros: the bits of the lanes of a row's last block to keep. */
    private static final int[] KEEP = keepTable();

    private static int[] keepTable() {
        int[] t = new int[2 * L];
        java.util.Arrays.fill(t, 0, L, -1);
        return t;
    }

    private static FloatVector next(int k) {
        float[] idx = new float[L];
        for (int j = 0; j < L; j++) idx[j] = j + k;
        return FloatVector.fromArray(S, idx, 0);
    }

    private static final class Scratch {
        float[] img = new float[0], dy = new float[0], acc = new float[0];

        float[] img(int n) {
            if (img.length < n) img = new float[n];
            return img;
        }

        float[] dy(int n) {
            if (dy.length < n) dy = new float[n];
            return dy;
        }

        float[] acc(int n) {
            if (acc.length < n) acc = new float[n];
            return acc;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Image b, zero-padded, with 2L floats of zeros after it (the last block's loads stay inside). */
    private static float[] padded(Conv.Geometry g, MemorySegment x, long xOff, Scratch sc) {
        int h = g.h(), w = g.w(), wp = w + 2 * g.padW(), n = (h + 2 * g.padH()) * wp;
        float[] img = sc.img(n + 2 * L);
        if (g.padH() == 0 && g.padW() == 0) {
            MemorySegment.copy(x, F, xOff * Float.BYTES, img, 0, n);
            Arrays.fill(img, n, n + 2 * L, 0f);
        } else {
            Arrays.fill(img, 0, n + 2 * L, 0f);
            for (int y = 0; y < h; y++)
                MemorySegment.copy(x, F, (xOff + (long) y * w) * Float.BYTES, img, (y + g.padH()) * wp + g.padW(), w);
        }
        return img;
    }

    /**
     * Output rows [oy0, oy1) of image b, all channels: {@code out = conv(x, w) + bias}, then the ReLU when
     * {@code relu} (only where vector compares are instructions: {@link Simd#FULL_FLOAT_VECTORS}). {@code w}
     * is the weight as a heap array ([O, 9]), {@code bias} null for none; {@code outOff} is image b's output.
     */
    static void forward(
            Conv.Geometry g,
            MemorySegment x,
            long xOff,
            float[] w,
            float[] bias,
            MemorySegment out,
            long outOff,
            int oy0,
            int oy1,
            boolean relu) {
        float[] img = padded(g, x, xOff, SCRATCH.get());
        if (PAIRS) forwardPairs(g, img, w, bias, out, outOff, oy0, oy1, relu);
        else forwardOne(g, img, w, bias, out, outOff, oy0, oy1, relu);
    }

    /** {@link #forward} two output channels at a time (16 lanes, {@link #PAIRS}), on the padded image. */
    static void forwardPairs(
            Conv.Geometry g,
            float[] img,
            float[] w,
            float[] bias,
            MemorySegment out,
            long outOff,
            int oy0,
            int oy1,
            boolean relu) {
        int outC = g.outC(), ow = g.outW(), wp = g.w() + 2 * g.padW(), pos = g.outH() * ow;
        for (int o = 0; o < outC; o += 2) {
            boolean two = o + 1 < outC;
            int a = o * 9, b = two ? a + 9 : a;
            FloatVector w0 = FloatVector.broadcast(S, w[a]),
                    w1 = FloatVector.broadcast(S, w[a + 1]),
                    w2 = FloatVector.broadcast(S, w[a + 2]);
            FloatVector w3 = FloatVector.broadcast(S, w[a + 3]),
                    w4 = FloatVector.broadcast(S, w[a + 4]),
                    w5 = FloatVector.broadcast(S, w[a + 5]);
            FloatVector w6 = FloatVector.broadcast(S, w[a + 6]),
                    w7 = FloatVector.broadcast(S, w[a + 7]),
                    w8 = FloatVector.broadcast(S, w[a + 8]);
            FloatVector u0 = FloatVector.broadcast(S, w[b]),
                    u1 = FloatVector.broadcast(S, w[b + 1]),
                    u2 = FloatVector.broadcast(S, w[b + 2]);
            FloatVector u3 = FloatVector.broadcast(S, w[b + 3]),
                    u4 = FloatVector.broadcast(S, w[b + 4]),
                    u5 = FloatVector.broadcast(S, w[b + 5]);
            FloatVector u6 = FloatVector.broadcast(S, w[b + 6]),
                    u7 = FloatVector.broadcast(S, w[b + 7]),
                    u8 = FloatVector.broadcast(S, w[b + 8]);
            FloatVector bias0 = FloatVector.broadcast(S, bias == null ? 0f : bias[o]);
            FloatVector bias1 = FloatVector.broadcast(S, bias == null ? 0f : bias[two ? o + 1 : o]);
            long row0 = outOff + (long) o * pos, row1 = row0 + pos;
            for (int y = oy0; y < oy1; y++) {
                for (int x0 = 0; ; x0 += L) {
                    if (x0 + L > ow) x0 = ow - L;
                    int s = y * wp + x0;
                    FloatVector v0 = FloatVector.fromArray(S, img, s),
                            v1 = FloatVector.fromArray(S, img, s + 1),
                            v2 = FloatVector.fromArray(S, img, s + 2);
                    FloatVector v3 = FloatVector.fromArray(S, img, s + wp),
                            v4 = FloatVector.fromArray(S, img, s + wp + 1),
                            v5 = FloatVector.fromArray(S, img, s + wp + 2);
                    FloatVector v6 = FloatVector.fromArray(S, img, s + 2 * wp),
                            v7 = FloatVector.fromArray(S, img, s + 2 * wp + 1),
                            v8 = FloatVector.fromArray(S, img, s + 2 * wp + 2);
                    // two FMA chains per channel (the first five taps onto the bias, the last four), so
                    // that the nine dependent FMAs do not set the pace
                    FloatVector r0 = FMA ? v0.fma(w0, bias0) : v0.mul(w0).add(bias0);
                    r0 = FMA ? v1.fma(w1, r0) : v1.mul(w1).add(r0);
                    r0 = FMA ? v2.fma(w2, r0) : v2.mul(w2).add(r0);
                    r0 = FMA ? v3.fma(w3, r0) : v3.mul(w3).add(r0);
                    r0 = FMA ? v4.fma(w4, r0) : v4.mul(w4).add(r0);
                    FloatVector r0b = v5.mul(w5);
                    r0b = FMA ? v6.fma(w6, r0b) : v6.mul(w6).add(r0b);
                    r0b = FMA ? v7.fma(w7, r0b) : v7.mul(w7).add(r0b);
                    r0b = FMA ? v8.fma(w8, r0b) : v8.mul(w8).add(r0b);
                    r0 = r0.add(r0b);
                    if (relu) r0 = r0.blend(0f, r0.compare(VectorOperators.LE, 0f)); // NaN kept, as unaryRelu
                    long d = (long) y * ow + x0;
                    r0.intoMemorySegment(out, (row0 + d) * Float.BYTES, NO);
                    if (two) {
                        FloatVector r1 = FMA ? v0.fma(u0, bias1) : v0.mul(u0).add(bias1);
                        r1 = FMA ? v1.fma(u1, r1) : v1.mul(u1).add(r1);
                        r1 = FMA ? v2.fma(u2, r1) : v2.mul(u2).add(r1);
                        r1 = FMA ? v3.fma(u3, r1) : v3.mul(u3).add(r1);
                        r1 = FMA ? v4.fma(u4, r1) : v4.mul(u4).add(r1);
                        FloatVector r1b = v5.mul(u5);
                        r1b = FMA ? v6.fma(u6, r1b) : v6.mul(u6).add(r1b);
                        r1b = FMA ? v7.fma(u7, r1b) : v7.mul(u7).add(r1b);
                        r1b = FMA ? v8.fma(u8, r1b) : v8.mul(u8).add(r1b);
                        r1 = r1.add(r1b);
                        if (relu) r1 = r1.blend(0f, r1.compare(VectorOperators.LE, 0f));
                        r1.intoMemorySegment(out, (row1 + d) * Float.BYTES, NO);
                    }
                    if (x0 + L >= ow) break;
                }
            }
        }
    }

    /** {@link #forward} one output channel at a time (below 16 lanes, {@link #PAIRS}): the same operations a lane. */
    static void forwardOne(
            Conv.Geometry g,
            float[] img,
            float[] w,
            float[] bias,
            MemorySegment out,
            long outOff,
            int oy0,
            int oy1,
            boolean relu) {
        int outC = g.outC(), ow = g.outW(), wp = g.w() + 2 * g.padW(), pos = g.outH() * ow;
        for (int o = 0; o < outC; o++) {
            int a = o * 9;
            FloatVector w0 = FloatVector.broadcast(S, w[a]),
                    w1 = FloatVector.broadcast(S, w[a + 1]),
                    w2 = FloatVector.broadcast(S, w[a + 2]);
            FloatVector w3 = FloatVector.broadcast(S, w[a + 3]),
                    w4 = FloatVector.broadcast(S, w[a + 4]),
                    w5 = FloatVector.broadcast(S, w[a + 5]);
            FloatVector w6 = FloatVector.broadcast(S, w[a + 6]),
                    w7 = FloatVector.broadcast(S, w[a + 7]),
                    w8 = FloatVector.broadcast(S, w[a + 8]);
            FloatVector bias0 = FloatVector.broadcast(S, bias == null ? 0f : bias[o]);
            long row0 = outOff + (long) o * pos;
            for (int y = oy0; y < oy1; y++) {
                for (int x0 = 0; ; x0 += L) {
                    if (x0 + L > ow) x0 = ow - L;
                    int s = y * wp + x0;
                    // the taps loaded as they are used: 12 vectors live, within AVX2's 16 registers
                    FloatVector r0 = FMA
                            ? FloatVector.fromArray(S, img, s).fma(w0, bias0)
                            : FloatVector.fromArray(S, img, s).mul(w0).add(bias0);
                    r0 = tap(img, s + 1, w1, r0);
                    r0 = tap(img, s + 2, w2, r0);
                    r0 = tap(img, s + wp, w3, r0);
                    r0 = tap(img, s + wp + 1, w4, r0);
                    FloatVector r0b = FloatVector.fromArray(S, img, s + wp + 2).mul(w5);
                    r0b = tap(img, s + 2 * wp, w6, r0b);
                    r0b = tap(img, s + 2 * wp + 1, w7, r0b);
                    r0b = tap(img, s + 2 * wp + 2, w8, r0b);
                    r0 = r0.add(r0b);
                    if (relu) r0 = r0.blend(0f, r0.compare(VectorOperators.LE, 0f));
                    r0.intoMemorySegment(out, (row0 + (long) y * ow + x0) * Float.BYTES, NO);
                    if (x0 + L >= ow) break;
                }
            }
        }
    }

    /** {@code img[s..]·w + acc}, fused where {@link #FMA}. */
    private static FloatVector tap(float[] img, int s, FloatVector w, FloatVector acc) {
        FloatVector v = FloatVector.fromArray(S, img, s);
        return FMA ? v.fma(w, acc) : v.mul(w).add(acc);
    }

    /**
     * The weight gradient of output channels [o0, o1) summed over images [b0, b1): {@code acc[o][t] =
     * Σ_b Σ_p dy[b][o][p] · x[b][p + tap t]} (overwritten; rows 9 apart from {@code accOff}). Per image
     * and channel pair, 18 vector sums (2 channels x 9 taps) run over the positions in registers; they
     * are kept across images in a small array and reduced once, in a fixed order. When {@code bias} is not
     * null, {@code bias[biasOff + o - o0]} is added the sum of dy's channel o over these images. When
     * {@code reluOut} is not null (the layer's output went through a ReLU, whose output it is), dy is taken
     * as zero where reluOut is not positive: the ReLU's backward applied to the heap copy of dy.
     */
    static void backwardWeight(
            Conv.Geometry g,
            MemorySegment x,
            MemorySegment dy,
            MemorySegment reluOut,
            int b0,
            int b1,
            int o0,
            int o1,
            MemorySegment acc,
            long accOff,
            float[] bias,
            int biasOff) {
        Scratch sc = SCRATCH.get();
        int ow = g.outW(), oh = g.outH(), pos = oh * ow, wp = g.w() + 2 * g.padW(), outC = g.outC();
        int pairs = (o1 - o0 + 1) / 2;
        float[] sums = sc.acc(pairs * 18 * L);
        Arrays.fill(sums, 0, pairs * 18 * L, 0f);
        int rows = o1 - o0;
        for (int b = b0; b < b1; b++) {
            float[] img = padded(g, x, (long) b * g.h() * g.w(), sc);
            // the channels' gradients, with L floats after them for the last block's loads
            float[] gy = sc.dy(rows * pos + L);
            MemorySegment.copy(dy, F, ((long) b * outC + o0) * pos * Float.BYTES, gy, 0, rows * pos);
            if (reluOut != null)
                VectorKernels.reluGradientInPlace(gy, 0, reluOut, ((long) b * outC + o0) * pos, rows * pos);
            if (bias != null) {
                // the bias gradient from the copy while it is in cache (a pass of its own over dy, 5.5 MB
                // for the first layer at batch 64, took ~80 µs of ~375 on one thread, plain timing loop)
                for (int r = 0; r < rows; r++) bias[biasOff + r] += VectorKernels.sum(gy, r * pos, pos);
            }
            if (!PAIRS) {
                for (int r = 0; r < rows; r++)
                    weightOne(img, gy, r * pos, ow, oh, wp, sums, ((r / 2) * 18 + (r % 2) * 9) * L);
                continue;
            }
            for (int pr = 0; pr < pairs; pr++) {
                int oa = 2 * pr, obb = Math.min(oa + 1, rows - 1);
                weightPair(img, gy, oa * pos, obb * pos, oa + 1 < rows, ow, oh, wp, sums, pr * 18 * L);
            }
        }
        for (int o = o0; o < o1; o++) {
            int pr = (o - o0) / 2, half = (o - o0) % 2;
            for (int t = 0; t < 9; t++) {
                float v = VectorKernels.sumLanes(FloatVector.fromArray(S, sums, (pr * 18 + half * 9 + t) * L));
                acc.setAtIndex(F, accOff + (long) (o - o0) * 9 + t, v);
            }
        }
    }

    /**
     * Two output channels' eighteen sums of {@link #backwardWeight} over one image (16 lanes, {@link
     * #PAIRS}): {@code gy[ga0..]} and {@code gy[gb0..]} their gradients ({@code two} false: one channel, the
     * second sums take zeros), {@code sums[base..]} the sums, tap by tap, the first channel's nine then the
     * second's.
     */
    static void weightPair(
            float[] img, float[] gy, int ga0, int gb0, boolean two, int ow, int oh, int wp, float[] sums, int base) {
        FloatVector a0 = FloatVector.fromArray(S, sums, base),
                a1 = FloatVector.fromArray(S, sums, base + L),
                a2 = FloatVector.fromArray(S, sums, base + 2 * L);
        FloatVector a3 = FloatVector.fromArray(S, sums, base + 3 * L),
                a4 = FloatVector.fromArray(S, sums, base + 4 * L),
                a5 = FloatVector.fromArray(S, sums, base + 5 * L);
        FloatVector a6 = FloatVector.fromArray(S, sums, base + 6 * L),
                a7 = FloatVector.fromArray(S, sums, base + 7 * L),
                a8 = FloatVector.fromArray(S, sums, base + 8 * L);
        FloatVector c0 = FloatVector.fromArray(S, sums, base + 9 * L),
                c1 = FloatVector.fromArray(S, sums, base + 10 * L),
                c2 = FloatVector.fromArray(S, sums, base + 11 * L);
        FloatVector c3 = FloatVector.fromArray(S, sums, base + 12 * L),
                c4 = FloatVector.fromArray(S, sums, base + 13 * L),
                c5 = FloatVector.fromArray(S, sums, base + 14 * L);
        FloatVector c6 = FloatVector.fromArray(S, sums, base + 15 * L),
                c7 = FloatVector.fromArray(S, sums, base + 16 * L),
                c8 = FloatVector.fromArray(S, sums, base + 17 * L);
        // a block of L positions at a time, down the image: each image row is loaded once (two
        // loads, and the windows one and two pixels on by two-vector permutes) and serves the
        // three output rows it touches. (Nine shifted loads per block, most across a cache
        // line, make this loop load-bound: 830 µs instead of 272 for 64 images.)
        for (int x0 = 0; x0 < ow; x0 += L) {
            // lanes past the row's end read the next row's gradients: zeroed, so that they count
            // nothing (an image pixel read past the row is multiplied by that zero)
            VectorMask<Float> past = SELECTS ? S.indexInRange(x0, ow).not() : null;
            IntVector keep = SELECTS ? null : IntVector.fromArray(VectorKernels.SI, KEEP, L - Math.min(L, ow - x0));
            FloatVector v = FloatVector.fromArray(S, img, x0), vn = FloatVector.fromArray(S, img, x0 + L);
            FloatVector p0 = v,
                    p1 = SELECTS ? NEXT1.selectFrom(v, vn) : FloatVector.fromArray(S, img, x0 + 1),
                    p2 = SELECTS ? NEXT2.selectFrom(v, vn) : FloatVector.fromArray(S, img, x0 + 2);
            v = FloatVector.fromArray(S, img, wp + x0);
            vn = FloatVector.fromArray(S, img, wp + x0 + L);
            FloatVector q0 = v,
                    q1 = SELECTS ? NEXT1.selectFrom(v, vn) : FloatVector.fromArray(S, img, wp + x0 + 1),
                    q2 = SELECTS ? NEXT2.selectFrom(v, vn) : FloatVector.fromArray(S, img, wp + x0 + 2);
            for (int y = 0; y < oh; y++) {
                int s = (y + 2) * wp + x0, gd = y * ow + x0;
                v = FloatVector.fromArray(S, img, s);
                vn = FloatVector.fromArray(S, img, s + L);
                FloatVector r0 = v,
                        r1 = SELECTS ? NEXT1.selectFrom(v, vn) : FloatVector.fromArray(S, img, s + 1),
                        r2 = SELECTS ? NEXT2.selectFrom(v, vn) : FloatVector.fromArray(S, img, s + 2);
                FloatVector ga = SELECTS
                        ? FloatVector.fromArray(S, gy, ga0 + gd).blend(0f, past)
                        : FloatVector.fromArray(S, gy, ga0 + gd)
                                .reinterpretAsInts()
                                .and(keep)
                                .reinterpretAsFloats();
                FloatVector gb = !two
                        ? FloatVector.zero(S)
                        : SELECTS
                                ? FloatVector.fromArray(S, gy, gb0 + gd).blend(0f, past)
                                : FloatVector.fromArray(S, gy, gb0 + gd)
                                        .reinterpretAsInts()
                                        .and(keep)
                                        .reinterpretAsFloats();
                a0 = FMA ? ga.fma(p0, a0) : ga.mul(p0).add(a0);
                a1 = FMA ? ga.fma(p1, a1) : ga.mul(p1).add(a1);
                a2 = FMA ? ga.fma(p2, a2) : ga.mul(p2).add(a2);
                a3 = FMA ? ga.fma(q0, a3) : ga.mul(q0).add(a3);
                a4 = FMA ? ga.fma(q1, a4) : ga.mul(q1).add(a4);
                a5 = FMA ? ga.fma(q2, a5) : ga.mul(q2).add(a5);
                a6 = FMA ? ga.fma(r0, a6) : ga.mul(r0).add(a6);
                a7 = FMA ? ga.fma(r1, a7) : ga.mul(r1).add(a7);
                a8 = FMA ? ga.fma(r2, a8) : ga.mul(r2).add(a8);
                c0 = FMA ? gb.fma(p0, c0) : gb.mul(p0).add(c0);
                c1 = FMA ? gb.fma(p1, c1) : gb.mul(p1).add(c1);
                c2 = FMA ? gb.fma(p2, c2) : gb.mul(p2).add(c2);
                c3 = FMA ? gb.fma(q0, c3) : gb.mul(q0).add(c3);
                c4 = FMA ? gb.fma(q1, c4) : gb.mul(q1).add(c4);
                c5 = FMA ? gb.fma(q2, c5) : gb.mul(q2).add(c5);
                c6 = FMA ? gb.fma(r0, c6) : gb.mul(r0).add(c6);
                c7 = FMA ? gb.fma(r1, c7) : gb.mul(r1).add(c7);
                c8 = FMA ? gb.fma(r2, c8) : gb.mul(r2).add(c8);
                p0 = q0;
                p1 = q1;
                p2 = q2;
                q0 = r0;
                q1 = r1;
                q2 = r2;
            }
        }
        a0.intoArray(sums, base);
        a1.intoArray(sums, base + L);
        a2.intoArray(sums, base + 2 * L);
        a3.intoArray(sums, base + 3 * L);
        a4.intoArray(sums, base + 4 * L);
        a5.intoArray(sums, base + 5 * L);
        a6.intoArray(sums, base + 6 * L);
        a7.intoArray(sums, base + 7 * L);
        a8.intoArray(sums, base + 8 * L);
        c0.intoArray(sums, base + 9 * L);
        c1.intoArray(sums, base + 10 * L);
        c2.intoArray(sums, base + 11 * L);
        c3.intoArray(sums, base + 12 * L);
        c4.intoArray(sums, base + 13 * L);
        c5.intoArray(sums, base + 14 * L);
        c6.intoArray(sums, base + 15 * L);
        c7.intoArray(sums, base + 16 * L);
        c8.intoArray(sums, base + 17 * L);
    }

    /**
     * One output channel's nine sums of {@link #backwardWeight} over one image ({@code gy[g0..]} its
     * gradient, {@code sums[base..]} the sums, tap by tap): below 16 lanes ({@link #PAIRS}), with the nine
     * windows loaded at each row rather than carried down the image, so that 12 vectors are live. The same
     * operations a lane as the two-channel loop.
     */
    static void weightOne(float[] img, float[] gy, int g0, int ow, int oh, int wp, float[] sums, int base) {
        FloatVector a0 = FloatVector.fromArray(S, sums, base),
                a1 = FloatVector.fromArray(S, sums, base + L),
                a2 = FloatVector.fromArray(S, sums, base + 2 * L);
        FloatVector a3 = FloatVector.fromArray(S, sums, base + 3 * L),
                a4 = FloatVector.fromArray(S, sums, base + 4 * L),
                a5 = FloatVector.fromArray(S, sums, base + 5 * L);
        FloatVector a6 = FloatVector.fromArray(S, sums, base + 6 * L),
                a7 = FloatVector.fromArray(S, sums, base + 7 * L),
                a8 = FloatVector.fromArray(S, sums, base + 8 * L);
        for (int x0 = 0; x0 < ow; x0 += L) {
            // lanes past the row's end read the next row's gradients: zeroed (see backwardWeight)
            VectorMask<Float> past = SELECTS ? S.indexInRange(x0, ow).not() : null;
            IntVector keep = SELECTS ? null : IntVector.fromArray(VectorKernels.SI, KEEP, L - Math.min(L, ow - x0));
            for (int y = 0; y < oh; y++) {
                int s = y * wp + x0, gd = g0 + y * ow + x0;
                FloatVector ga = SELECTS
                        ? FloatVector.fromArray(S, gy, gd).blend(0f, past)
                        : FloatVector.fromArray(S, gy, gd)
                                .reinterpretAsInts()
                                .and(keep)
                                .reinterpretAsFloats();
                a0 = tap(img, s, ga, a0);
                a1 = tap(img, s + 1, ga, a1);
                a2 = tap(img, s + 2, ga, a2);
                a3 = tap(img, s + wp, ga, a3);
                a4 = tap(img, s + wp + 1, ga, a4);
                a5 = tap(img, s + wp + 2, ga, a5);
                a6 = tap(img, s + 2 * wp, ga, a6);
                a7 = tap(img, s + 2 * wp + 1, ga, a7);
                a8 = tap(img, s + 2 * wp + 2, ga, a8);
            }
        }
        a0.intoArray(sums, base);
        a1.intoArray(sums, base + L);
        a2.intoArray(sums, base + 2 * L);
        a3.intoArray(sums, base + 3 * L);
        a4.intoArray(sums, base + 4 * L);
        a5.intoArray(sums, base + 5 * L);
        a6.intoArray(sums, base + 6 * L);
        a7.intoArray(sums, base + 7 * L);
        a8.intoArray(sums, base + 8 * L);
    }
}
