package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The scalar twins {@link ColdStart} serves cold calls with: plain loops C1 compiles at once, which
 * compute every output with the float operations its vector kernel performs in that output's lane, in
 * the same order, with the same choice between a fused multiply-add and a multiply then an add
 * ({@link Config#FMA}). Their results are the vector kernels' bit for bit (ColdStartTest holds them to it
 * over shapes with every kind of edge), so a program cannot tell which one served a call.
 *
 * <p>Operands are copied to heap arrays in bulk first: element by element, a memory segment is read
 * through a var handle, which is slow until it is compiled — the state these twins exist for.
 */
final class ColdKernels {
    private ColdKernels() {}

    private static final boolean FMA = Config.FMA;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private static float[] heap(MemorySegment m, long offFloats, int n) {
        float[] a = new float[n];
        MemorySegment.copy(m, F, offFloats * Float.BYTES, a, 0, n);
        return a;
    }

    // ---------------------------------------------------------------- Winograd's forward

    /**
     * {@link WinogradConv}'s forward: {@code out = conv2d(x, weight) + bias} for a 3x3, stride-1, undilated
     * geometry, by the tiles {@link ConvPlan#winogradTile} chooses (F(2x2, 3x3) or F(4x4, 3x3)) starting at
     * the padded output's row and column 0, each output {@code Aᵀ·[Σ_c U_c ⊙ V_c]·A + bias} with the sum over
     * input channels in order from zero and the transforms' operations in {@link VectorConv}'s and
     * {@link Winograd4x4}'s order.
     */
    static void winogradForward(
            Conv.Geometry g, MemorySegment x, MemorySegment weight, MemorySegment bias, MemorySegment out) {
        int inC = g.inC(), outC = g.outC(), h = g.h(), w = g.w(), plane = h * w;
        int oh = g.outH(), ow = g.outW(), pos = oh * ow;
        int tile = ConvPlan.winogradTile(oh, ow), n = tile + 2, pts = n * n;
        float[] wt = heap(weight, 0, outC * inC * 9);
        float[] u = tile == 2 ? winogradWeights(wt, outC, inC) : winograd4Weights(wt, outC, inC);
        float[] bs = bias == null ? new float[outC] : heap(bias, 0, outC);
        float[] v = new float[pts * inC], d = new float[pts], m = new float[pts], y = new float[outC * pos];
        float[] tmp = new float[36], yt = new float[16];
        // the loops' bodies are methods called once a channel or an output channel of a tile: the
        // interpreter hands a method to C1 after a count of calls (scaled up while C1's queue is long, as
        // at a program's start), so work in these few loops would stay interpreted through a first call
        for (int b = 0; b < g.batch(); b++) {
            float[] img = heap(x, (long) b * inC * plane, inC * plane);
            for (int ty = 0; tile * ty < oh; ty++) {
                for (int tx = 0; tile * tx < ow; tx++) {
                    int r0 = tile * ty - g.padH(), c0 = tile * tx - g.padW();
                    for (int c = 0; c < inC; c++) {
                        patch(img, c * plane, h, w, r0, c0, n, d);
                        if (tile == 2) inputTransform(d, v, c, inC);
                        else winograd4Input(d, v, c, inC, tmp);
                    }
                    for (int o = 0; o < outC; o++)
                        tileOutput(v, u, o, pts, inC, m, bs[o], tile, y, o * pos, ty, tx, oh, ow, yt, tmp);
                }
            }
            MemorySegment.copy(y, 0, out, F, (long) b * outC * pos * Float.BYTES, outC * pos);
        }
    }

    /** The n x n patch of a plane at {@code img[at]} (h x w) with its top-left at (r0, c0), zeros outside. */
    private static void patch(float[] img, int at, int h, int w, int r0, int c0, int n, float[] d) {
        for (int i = 0; i < n; i++) {
            int iy = r0 + i;
            for (int j = 0; j < n; j++) {
                int ix = c0 + j;
                d[n * i + j] = iy >= 0 && iy < h && ix >= 0 && ix < w ? img[at + iy * w + ix] : 0f;
            }
        }
    }

    /** Output channel o of tile (ty, tx): the products over the channels at each point, then Aᵀ·M·A + bias. */
    private static void tileOutput(
            float[] v,
            float[] u,
            int o,
            int pts,
            int inC,
            float[] m,
            float bias,
            int tile,
            float[] y,
            int yOff,
            int ty,
            int tx,
            int oh,
            int ow,
            float[] yt,
            float[] tmp) {
        int uo = o * pts * inC;
        for (int xi = 0; xi < pts; xi++) m[xi] = dot(v, xi * inC, u, uo + xi * inC, inC);
        if (tile == 2) {
            outputTransform(m, bias, y, yOff, 2 * ty, 2 * tx, oh, ow);
            return;
        }
        winograd4Output(m, bias, yt, tmp);
        for (int i = 0; i < 4 && 4 * ty + i < oh; i++)
            for (int j = 0; j < 4 && 4 * tx + j < ow; j++) y[yOff + (4 * ty + i) * ow + 4 * tx + j] = yt[4 * i + j];
    }

    /** {@code Σ_c a[ai + c]·b[bi + c]}, a chain from zero in order (a product tile's accumulator). */
    private static float dot(float[] a, int ai, float[] b, int bi, int n) {
        float acc = 0f;
        if (FMA) for (int c = 0; c < n; c++) acc = Math.fma(a[ai + c], b[bi + c], acc);
        else for (int c = 0; c < n; c++) acc = a[ai + c] * b[bi + c] + acc;
        return acc;
    }

    /** {@code U = G·g·Gᵀ} of every filter: {@code u[(o·16 + ξ)·inC + c]} ({@link VectorConv#winogradWeight}). */
    static float[] winogradWeights(float[] wt, int outC, int inC) {
        float[] u = new float[outC * 16 * inC];
        for (int o = 0; o < outC; o++) {
            for (int c = 0; c < inC; c++) {
                int k = (o * inC + c) * 9, at = o * 16 * inC + c;
                float g00 = wt[k], g01 = wt[k + 1], g02 = wt[k + 2];
                float g10 = wt[k + 3], g11 = wt[k + 4], g12 = wt[k + 5];
                float g20 = wt[k + 6], g21 = wt[k + 7], g22 = wt[k + 8];
                float s10 = (g00 + g10 + g20) * 0.5f, s11 = (g01 + g11 + g21) * 0.5f, s12 = (g02 + g12 + g22) * 0.5f;
                float s20 = (g00 - g10 + g20) * 0.5f, s21 = (g01 - g11 + g21) * 0.5f, s22 = (g02 - g12 + g22) * 0.5f;
                u[at] = g00;
                u[at + inC] = (g00 + g01 + g02) * 0.5f;
                u[at + 2 * inC] = (g00 - g01 + g02) * 0.5f;
                u[at + 3 * inC] = g02;
                u[at + 4 * inC] = s10;
                u[at + 5 * inC] = (s10 + s11 + s12) * 0.5f;
                u[at + 6 * inC] = (s10 - s11 + s12) * 0.5f;
                u[at + 7 * inC] = s12;
                u[at + 8 * inC] = s20;
                u[at + 9 * inC] = (s20 + s21 + s22) * 0.5f;
                u[at + 10 * inC] = (s20 - s21 + s22) * 0.5f;
                u[at + 11 * inC] = s22;
                u[at + 12 * inC] = g20;
                u[at + 13 * inC] = (g20 + g21 + g22) * 0.5f;
                u[at + 14 * inC] = (g20 - g21 + g22) * 0.5f;
                u[at + 15 * inC] = g22;
            }
        }
        return u;
    }

    /** F(4x4, 3x3)'s {@code U = G·g·Gᵀ} of every filter: {@code u[(o·36 + ξ)·inC + c]} ({@link Winograd4x4#weight}). */
    static float[] winograd4Weights(float[] wt, int outC, int inC) {
        float[] u = new float[outC * 36 * inC], tmp = new float[18];
        for (int o = 0; o < outC; o++)
            for (int c = 0; c < inC; c++) winograd4Weight(wt, (o * inC + c) * 9, u, o * 36 * inC + c, inC, tmp);
        return u;
    }

    /** {@code V = Bᵀ·d·B} of one channel's 4x4 patch {@code d[4i + j]} into {@code v[ξ·inC + c]} ({@link VectorConv#winogradInput}). */
    private static void inputTransform(float[] d, float[] v, int c, int inC) {
        float t00 = d[0] - d[8], t01 = d[1] - d[9], t02 = d[2] - d[10], t03 = d[3] - d[11];
        v[c] = t00 - t02;
        v[inC + c] = t01 + t02;
        v[2 * inC + c] = t02 - t01;
        v[3 * inC + c] = t01 - t03;
        float t10 = d[4] + d[8], t11 = d[5] + d[9], t12 = d[6] + d[10], t13 = d[7] + d[11];
        v[4 * inC + c] = t10 - t12;
        v[5 * inC + c] = t11 + t12;
        v[6 * inC + c] = t12 - t11;
        v[7 * inC + c] = t11 - t13;
        float t20 = d[8] - d[4], t21 = d[9] - d[5], t22 = d[10] - d[6], t23 = d[11] - d[7];
        v[8 * inC + c] = t20 - t22;
        v[9 * inC + c] = t21 + t22;
        v[10 * inC + c] = t22 - t21;
        v[11 * inC + c] = t21 - t23;
        float t30 = d[4] - d[12], t31 = d[5] - d[13], t32 = d[6] - d[14], t33 = d[7] - d[15];
        v[12 * inC + c] = t30 - t32;
        v[13 * inC + c] = t31 + t32;
        v[14 * inC + c] = t32 - t31;
        v[15 * inC + c] = t31 - t33;
    }

    /** {@code Y = Aᵀ·M·A + bias}, the outputs inside the image ({@link VectorConv#winogradOutput}). */
    private static void outputTransform(float[] m, float bias, float[] y, int yOff, int oy, int ox, int oh, int ow) {
        float r00 = m[0] + m[4] + m[8], r01 = m[1] + m[5] + m[9], r02 = m[2] + m[6] + m[10], r03 = m[3] + m[7] + m[11];
        float r10 = m[4] - m[8] - m[12],
                r11 = m[5] - m[9] - m[13],
                r12 = m[6] - m[10] - m[14],
                r13 = m[7] - m[11] - m[15];
        boolean right = ox + 1 < ow, below = oy + 1 < oh;
        y[yOff + oy * ow + ox] = r00 + r01 + r02 + bias;
        if (right) y[yOff + oy * ow + ox + 1] = r01 - r02 - r03 + bias;
        if (below) y[yOff + (oy + 1) * ow + ox] = r10 + r11 + r12 + bias;
        if (right && below) y[yOff + (oy + 1) * ow + ox + 1] = r11 - r12 - r13 + bias;
    }

    // ---------------------------------------------------------------- F(4x4, 3x3)'s transforms, scalar

    /** {@link Winograd4x4#input} for one channel: {@code d[6i + j]} to {@code v[v0 + ξ·vst]}; {@code tmp} of 36. */
    private static void winograd4Input(float[] d, float[] v, int v0, int vst, float[] tmp) {
        for (int i = 0; i < 6; i++) btScalar(d, 6 * i, 1, tmp, 6 * i, 1);
        for (int j = 0; j < 6; j++) btScalar(tmp, j, 6, v, v0 + j * vst, 6 * vst);
    }

    /** {@link Winograd4x4#output} for one channel: {@code M[ξ] = m[ξ]} to {@code y[4i + j]}; {@code tmp} of 24. */
    private static void winograd4Output(float[] m, float bias, float[] y, float[] tmp) {
        for (int i = 0; i < 6; i++) {
            int s = 6 * i, d = 4 * i;
            float x0 = m[s], x1 = m[s + 1], x2 = m[s + 2], x3 = m[s + 3], x4 = m[s + 4], x5 = m[s + 5];
            float p = x1 + x2, q = x1 - x2, r = x3 + x4, t = x3 - x4;
            tmp[d] = p + x0 + r;
            tmp[d + 1] = q + t * 2f;
            tmp[d + 2] = p + r * 4f;
            tmp[d + 3] = q + t * 8f + x5;
        }
        for (int j = 0; j < 4; j++) {
            float x0 = tmp[j], x1 = tmp[j + 4], x2 = tmp[j + 8], x3 = tmp[j + 12], x4 = tmp[j + 16], x5 = tmp[j + 20];
            float p = x1 + x2, q = x1 - x2, r = x3 + x4, t = x3 - x4;
            y[j] = p + x0 + r + bias;
            y[4 + j] = q + t * 2f + bias;
            y[8 + j] = p + r * 4f + bias;
            y[12 + j] = q + t * 8f + x5 + bias;
        }
    }

    /** {@link Winograd4x4#weight} for one filter: {@code g[k]} at {@code w[wOff + k]} to {@code u[uOff + ξ·ust]}; {@code tmp} of 18. */
    private static void winograd4Weight(float[] w, int wOff, float[] u, int uOff, int ust, float[] tmp) {
        for (int i = 0; i < 3; i++) gScalar(w, wOff + 3 * i, 1, tmp, 6 * i, 1);
        for (int j = 0; j < 6; j++) gScalar(tmp, j, 6, u, uOff + j * ust, 6 * ust);
    }

    private static void btScalar(float[] s, int s0, int ss, float[] d, int d0, int ds) {
        float x0 = s[s0], x1 = s[s0 + ss], x2 = s[s0 + 2 * ss], x3 = s[s0 + 3 * ss], x4 = s[s0 + 4 * ss];
        float x5 = s[s0 + 5 * ss];
        float p = x4 - x2 * 4f, q = x3 - x1 * 4f, r = x4 - x2, t = (x3 - x1) * 2f;
        d[d0] = x0 * 4f - x2 * 5f + x4;
        d[d0 + ds] = p + q;
        d[d0 + 2 * ds] = p - q;
        d[d0 + 3 * ds] = r + t;
        d[d0 + 4 * ds] = r - t;
        d[d0 + 5 * ds] = x1 * 4f - x3 * 5f + x5;
    }

    private static void gScalar(float[] s, int s0, int ss, float[] d, int d0, int ds) {
        float x0 = s[s0], x1 = s[s0 + ss], x2 = s[s0 + 2 * ss];
        float p = x0 + x2, q = x0 * Winograd4x4.TWENTY_FOURTH + x2 * Winograd4x4.SIXTH, r = x1 * Winograd4x4.TWELFTH;
        d[d0] = x0 * 0.25f;
        d[d0 + ds] = (p + x1) * -Winograd4x4.SIXTH;
        d[d0 + 2 * ds] = (p - x1) * -Winograd4x4.SIXTH;
        d[d0 + 3 * ds] = q + r;
        d[d0 + 4 * ds] = q - r;
        d[d0 + 5 * ds] = x2;
    }

    // ---------------------------------------------------------------- the direct 3x3 forward

    /**
     * {@link DirectConv3x3}'s forward (one input channel, 3x3, stride 1, undilated, any padding): per output
     * the first five taps chained onto the bias, the last four chained from a product, then their sum.
     * Computed a tap at a time over a whole output plane: loops long enough for the interpreter to hand
     * them to C1 within the first call (a loop over one output row has too few iterations to count).
     */
    static void direct3x3Forward(
            Conv.Geometry g, MemorySegment x, MemorySegment weight, MemorySegment bias, MemorySegment out) {
        int outC = g.outC(), h = g.h(), w = g.w(), ph = g.padH(), pw = g.padW();
        int wp = w + 2 * pw, oh = g.outH(), ow = g.outW(), pos = oh * ow;
        float[] wt = heap(weight, 0, outC * 9);
        float[] bs = bias == null ? new float[outC] : heap(bias, 0, outC);
        float[] img = new float[(h + 2 * ph) * wp], y = new float[outC * pos], rb = new float[pos];
        for (int b = 0; b < g.batch(); b++) {
            float[] src = heap(x, (long) b * h * w, h * w);
            for (int r = 0; r < h; r++) System.arraycopy(src, r * w, img, (r + ph) * wp + pw, w);
            for (int o = 0; o < outC; o++) {
                int k = o * 9, yo = o * pos;
                java.util.Arrays.fill(y, yo, yo + pos, bs[o]);
                for (int t = 0; t < 5; t++) tap(img, (t / 3) * wp + t % 3, wp, wt[k + t], y, yo, oh, ow, true);
                tap(img, wp + 2, wp, wt[k + 5], rb, 0, oh, ow, false);
                for (int t = 6; t < 9; t++) tap(img, (t / 3) * wp + t % 3, wp, wt[k + t], rb, 0, oh, ow, true);
                add(y, yo, rb, pos);
            }
            MemorySegment.copy(y, 0, out, F, (long) b * outC * pos * Float.BYTES, outC * pos);
        }
    }

    /** {@code y[yo + i] += rb[i]} for i &lt; n (a method of its own: see {@link #winogradForward}). */
    private static void add(float[] y, int yo, float[] rb, int n) {
        for (int i = 0; i < n; i++) y[yo + i] = y[yo + i] + rb[i];
    }

    /**
     * One tap over an output plane: {@code acc[p] = img[s(p) + off]·wt + acc[p]} (fused where the vector form
     * fuses), or with {@code chain} false {@code acc[p] = img[s(p) + off]·wt}; s(p) the output's top-left
     * input pixel.
     */
    private static void tap(
            float[] img, int off, int wp, float wt, float[] acc, int a0, int oh, int ow, boolean chain) {
        for (int oy = 0; oy < oh; oy++) {
            int s = oy * wp + off, a = a0 + oy * ow;
            if (!chain) for (int ox = 0; ox < ow; ox++) acc[a + ox] = img[s + ox] * wt;
            else if (FMA) for (int ox = 0; ox < ow; ox++) acc[a + ox] = Math.fma(img[s + ox], wt, acc[a + ox]);
            else for (int ox = 0; ox < ow; ox++) acc[a + ox] = img[s + ox] * wt + acc[a + ox];
        }
    }

    // ---------------------------------------------------------------- elementwise

    /**
     * The maps whose vector form gives {@link Elementwise#unaryScalar}'s bits for every float (NaN, ±0 and
     * infinities included): no rounding differs and no approximation is involved.
     */
    static boolean exact(Elementwise.Unary op) {
        return switch (op) {
            case NEG, ABS, RELU, SQUARE, RECIPROCAL -> true;
            default -> false;
        };
    }

    /** {@link Elementwise#unaryScalar} over n floats, through a heap block at a time. */
    static void unary(Elementwise.Unary op, MemorySegment a, long aOff, MemorySegment out, long outOff, long n) {
        float[] buf = new float[(int) Math.min(n, 1 << 14)];
        for (long i = 0; i < n; i += buf.length) {
            int len = (int) Math.min(buf.length, n - i);
            MemorySegment.copy(a, F, (aOff + i) * Float.BYTES, buf, 0, len);
            // in runs of 256 through a method of its own (see winogradForward)
            for (int j = 0; j < len; j += MAP_RUN) map(op, buf, j, Math.min(len, j + MAP_RUN));
            MemorySegment.copy(buf, 0, out, F, (outOff + i) * Float.BYTES, len);
        }
    }

    private static final int MAP_RUN = 256;

    private static void map(Elementwise.Unary op, float[] buf, int from, int to) {
        for (int j = from; j < to; j++) buf[j] = Elementwise.unaryScalar(op, buf[j]);
    }

    // ---------------------------------------------------------------- softmax rows

    /**
     * {@code rows} rows of n of {@link Softmax#forward}'s vector path ({@code out} may be {@code x}), each: the
     * row's maximum (order does not change a maximum), exp(x - max) summed lane by lane as
     * {@link VectorSoftmax#expSum} does (lane l takes the elements at l modulo the lanes below the last whole
     * vector, the lanes added as {@link VectorKernels#sumLanes}' tree, then the rest added in double), and the
     * row written as {@link VectorSoftmax#expScaled} or, for log-softmax, {@link Elementwise#affine} writes it.
     */
    static void softmaxRows(MemorySegment x, MemorySegment out, int rows, int n, boolean log) {
        int lanes = ColdStart.LANES, upper = n - n % lanes;
        float[] row = new float[n], acc = new float[lanes];
        for (int o = 0; o < rows; o++) {
            long off = (long) o * n;
            MemorySegment.copy(x, F, off * Float.BYTES, row, 0, n);
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) max = Math.max(max, row[i]);
            java.util.Arrays.fill(acc, 0f);
            for (int i = 0; i < upper; i += lanes)
                for (int l = 0; l < lanes; l++) acc[l] = acc[l] + ScalarExp.exp(row[i + l] - max);
            for (int half = lanes / 2; half >= 1; half /= 2)
                for (int l = 0; l < half; l++) acc[l] = acc[l] + acc[l + half];
            double sum = acc[0];
            for (int i = upper; i < n; i++) sum += ScalarExp.exp(row[i] - max);
            if (log) {
                float shift = -(max + (float) Math.log(sum));
                for (int i = 0; i < n; i++) row[i] = row[i] * 1f + shift;
            } else {
                float scale = (float) (1 / sum);
                for (int i = 0; i < n; i++) row[i] = ScalarExp.exp(row[i] - max) * scale;
            }
            MemorySegment.copy(row, 0, out, F, off * Float.BYTES, n);
        }
    }

    // ---------------------------------------------------------------- dot products

    /**
     * The vector dot product's sum ({@link VectorGemm#dot}, {@link VectorGemm#dot4x3} and its edges): lane l
     * of {@code lanes} chains the products at p ≡ l (mod lanes) below the last whole vector, the lanes
     * are added as {@link VectorKernels#sumLanes}' tree, then the rest of the products summed from zero.
     */
    static float laneDot(float[] a, int ai, float[] b, int bi, int len, int lanes, float[] acc) {
        java.util.Arrays.fill(acc, 0, lanes, 0f);
        int upper = len - len % lanes;
        for (int p = 0; p < upper; p += lanes) {
            int pa = ai + p, pb = bi + p;
            if (FMA) for (int l = 0; l < lanes; l++) acc[l] = Math.fma(a[pa + l], b[pb + l], acc[l]);
            else for (int l = 0; l < lanes; l++) acc[l] = a[pa + l] * b[pb + l] + acc[l];
        }
        for (int half = lanes / 2; half >= 1; half /= 2) for (int l = 0; l < half; l++) acc[l] = acc[l] + acc[l + half];
        float tail = 0f;
        for (int p = upper; p < len; p++) tail += a[ai + p] * b[bi + p];
        return acc[0] + tail;
    }

    /**
     * {@code C += alpha·A·Bᵀ} as {@link DotGemm} computes it (C already scaled by beta): each element
     * adds {@code alpha·dot} once per block of k, blocks in order; with {@code kBlock} at least k, as the
     * unpacked loops' {@link VectorGemm#dot} does.
     */
    static void dotGemm(
            int m,
            int n,
            int k,
            float alpha,
            MemorySegment a,
            long aOff,
            int lda,
            MemorySegment b,
            long bOff,
            int ldb,
            MemorySegment c,
            long cOff,
            int ldc,
            int kBlock) {
        int lanes = ColdStart.LANES;
        float[] acc = new float[lanes], rows = new float[m * k], col = new float[k], cs = new float[m * n];
        for (int i = 0; i < m; i++) {
            MemorySegment.copy(a, F, (aOff + (long) i * lda) * Float.BYTES, rows, i * k, k);
            MemorySegment.copy(c, F, (cOff + (long) i * ldc) * Float.BYTES, cs, i * n, n);
        }
        for (int j = 0; j < n; j++) {
            MemorySegment.copy(b, F, (bOff + (long) j * ldb) * Float.BYTES, col, 0, k);
            for (int i = 0; i < m; i++) {
                float v = cs[i * n + j];
                for (int p0 = 0; p0 < k; p0 += kBlock)
                    v = v + alpha * laneDot(rows, i * k + p0, col, p0, Math.min(kBlock, k - p0), lanes, acc);
                cs[i * n + j] = v;
            }
        }
        for (int i = 0; i < m; i++) MemorySegment.copy(cs, i * n, c, F, (cOff + (long) i * ldc) * Float.BYTES, n);
    }
}
