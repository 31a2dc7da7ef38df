package vectorgrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The micro-kernels of {@link LanesConv} and {@link WinogradConv} (with Winograd's transforms at the end): a
 * tile of six rows by 64 output channels (four 512-bit
 * vectors) in 24 accumulators, each step four vector loads of a channel-minor operand and six scalar
 * broadcasts read straight from the padded image. Flat loops, all 24 accumulators named, so C2 keeps
 * them in registers.
 */
final class VectorConv {
    private VectorConv() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    /** Fused multiply-add where it is an instruction, else multiply then add (see {@link Config#FMA}). */
    private static final boolean FMA = Config.FMA;

    private static final int L = S.length();
    /** Output channels of a tile. */
    static final int BLOCK = 4 * L;

    /**
     * Forward: {@code out[cOff + r·64 + o] = bias[bOff + o] + Σ_{t<taps} img[tapOff[t] + q0 + r] · w[wOff + t·64 + o]}
     * for r < 6: six neighbouring positions of one output row (q0 their first, in the padded image's
     * numbering) by 64 output channels.
     */
    static void forwardTile(
            int taps,
            float[] img,
            int q0,
            int[] tapOff,
            float[] w,
            int wOff,
            float[] bias,
            int bOff,
            float[] out,
            int cOff) {
        FloatVector i0 = FloatVector.fromArray(S, bias, bOff), i1 = FloatVector.fromArray(S, bias, bOff + L);
        FloatVector i2 = FloatVector.fromArray(S, bias, bOff + 2 * L),
                i3 = FloatVector.fromArray(S, bias, bOff + 3 * L);
        FloatVector c00 = i0, c01 = i1, c02 = i2, c03 = i3;
        FloatVector c10 = i0, c11 = i1, c12 = i2, c13 = i3;
        FloatVector c20 = i0, c21 = i1, c22 = i2, c23 = i3;
        FloatVector c30 = i0, c31 = i1, c32 = i2, c33 = i3;
        FloatVector c40 = i0, c41 = i1, c42 = i2, c43 = i3;
        FloatVector c50 = i0, c51 = i1, c52 = i2, c53 = i3;
        for (int t = 0; t < taps; t++) {
            int a = tapOff[t] + q0, b = wOff + t * BLOCK;
            FloatVector w0 = FloatVector.fromArray(S, w, b);
            FloatVector w1 = FloatVector.fromArray(S, w, b + L);
            FloatVector w2 = FloatVector.fromArray(S, w, b + 2 * L);
            FloatVector w3 = FloatVector.fromArray(S, w, b + 3 * L);
            FloatVector a0 = FloatVector.broadcast(S, img[a]);
            c00 = FMA ? a0.fma(w0, c00) : a0.mul(w0).add(c00);
            c01 = FMA ? a0.fma(w1, c01) : a0.mul(w1).add(c01);
            c02 = FMA ? a0.fma(w2, c02) : a0.mul(w2).add(c02);
            c03 = FMA ? a0.fma(w3, c03) : a0.mul(w3).add(c03);
            FloatVector a1 = FloatVector.broadcast(S, img[a + 1]);
            c10 = FMA ? a1.fma(w0, c10) : a1.mul(w0).add(c10);
            c11 = FMA ? a1.fma(w1, c11) : a1.mul(w1).add(c11);
            c12 = FMA ? a1.fma(w2, c12) : a1.mul(w2).add(c12);
            c13 = FMA ? a1.fma(w3, c13) : a1.mul(w3).add(c13);
            FloatVector a2 = FloatVector.broadcast(S, img[a + 2]);
            c20 = FMA ? a2.fma(w0, c20) : a2.mul(w0).add(c20);
            c21 = FMA ? a2.fma(w1, c21) : a2.mul(w1).add(c21);
            c22 = FMA ? a2.fma(w2, c22) : a2.mul(w2).add(c22);
            c23 = FMA ? a2.fma(w3, c23) : a2.mul(w3).add(c23);
            FloatVector a3 = FloatVector.broadcast(S, img[a + 3]);
            c30 = FMA ? a3.fma(w0, c30) : a3.mul(w0).add(c30);
            c31 = FMA ? a3.fma(w1, c31) : a3.mul(w1).add(c31);
            c32 = FMA ? a3.fma(w2, c32) : a3.mul(w2).add(c32);
            c33 = FMA ? a3.fma(w3, c33) : a3.mul(w3).add(c33);
            FloatVector a4 = FloatVector.broadcast(S, img[a + 4]);
            c40 = FMA ? a4.fma(w0, c40) : a4.mul(w0).add(c40);
            c41 = FMA ? a4.fma(w1, c41) : a4.mul(w1).add(c41);
            c42 = FMA ? a4.fma(w2, c42) : a4.mul(w2).add(c42);
            c43 = FMA ? a4.fma(w3, c43) : a4.mul(w3).add(c43);
            FloatVector a5 = FloatVector.broadcast(S, img[a + 5]);
            c50 = FMA ? a5.fma(w0, c50) : a5.mul(w0).add(c50);
            c51 = FMA ? a5.fma(w1, c51) : a5.mul(w1).add(c51);
            c52 = FMA ? a5.fma(w2, c52) : a5.mul(w2).add(c52);
            c53 = FMA ? a5.fma(w3, c53) : a5.mul(w3).add(c53);
        }
        c00.intoArray(out, cOff + 0 * BLOCK);
        c01.intoArray(out, cOff + 0 * BLOCK + L);
        c02.intoArray(out, cOff + 0 * BLOCK + 2 * L);
        c03.intoArray(out, cOff + 0 * BLOCK + 3 * L);
        c10.intoArray(out, cOff + 1 * BLOCK);
        c11.intoArray(out, cOff + 1 * BLOCK + L);
        c12.intoArray(out, cOff + 1 * BLOCK + 2 * L);
        c13.intoArray(out, cOff + 1 * BLOCK + 3 * L);
        c20.intoArray(out, cOff + 2 * BLOCK);
        c21.intoArray(out, cOff + 2 * BLOCK + L);
        c22.intoArray(out, cOff + 2 * BLOCK + 2 * L);
        c23.intoArray(out, cOff + 2 * BLOCK + 3 * L);
        c30.intoArray(out, cOff + 3 * BLOCK);
        c31.intoArray(out, cOff + 3 * BLOCK + L);
        c32.intoArray(out, cOff + 3 * BLOCK + 2 * L);
        c33.intoArray(out, cOff + 3 * BLOCK + 3 * L);
        c40.intoArray(out, cOff + 4 * BLOCK);
        c41.intoArray(out, cOff + 4 * BLOCK + L);
        c42.intoArray(out, cOff + 4 * BLOCK + 2 * L);
        c43.intoArray(out, cOff + 4 * BLOCK + 3 * L);
        c50.intoArray(out, cOff + 5 * BLOCK);
        c51.intoArray(out, cOff + 5 * BLOCK + L);
        c52.intoArray(out, cOff + 5 * BLOCK + 2 * L);
        c53.intoArray(out, cOff + 5 * BLOCK + 3 * L);
    }

    /**
     * Weight gradient: {@code out[cOff + r·64 + o] = init[iOff + r·ist + o] + Σ_{oy<oh, ox<ow} img[off_r + oy·wp + ox] · w[wOff + (oy·ow + ox)·64 + o]}
     * for r < 6: six taps (their offsets in the padded image) by 64 output channels, summed over the
     * output positions of one image; {@code w} is the upstream gradient transposed to positions x channels.
     */
    static void weightTile(
            int oh,
            int ow,
            int wp,
            float[] img,
            int off0,
            int off1,
            int off2,
            int off3,
            int off4,
            int off5,
            float[] w,
            int wOff,
            float[] init,
            int iOff,
            int ist,
            float[] out,
            int cOff) {
        FloatVector c00 = FloatVector.fromArray(S, init, iOff + 0 * ist),
                c01 = FloatVector.fromArray(S, init, iOff + 0 * ist + L);
        FloatVector c02 = FloatVector.fromArray(S, init, iOff + 0 * ist + 2 * L),
                c03 = FloatVector.fromArray(S, init, iOff + 0 * ist + 3 * L);
        FloatVector c10 = FloatVector.fromArray(S, init, iOff + 1 * ist),
                c11 = FloatVector.fromArray(S, init, iOff + 1 * ist + L);
        FloatVector c12 = FloatVector.fromArray(S, init, iOff + 1 * ist + 2 * L),
                c13 = FloatVector.fromArray(S, init, iOff + 1 * ist + 3 * L);
        FloatVector c20 = FloatVector.fromArray(S, init, iOff + 2 * ist),
                c21 = FloatVector.fromArray(S, init, iOff + 2 * ist + L);
        FloatVector c22 = FloatVector.fromArray(S, init, iOff + 2 * ist + 2 * L),
                c23 = FloatVector.fromArray(S, init, iOff + 2 * ist + 3 * L);
        FloatVector c30 = FloatVector.fromArray(S, init, iOff + 3 * ist),
                c31 = FloatVector.fromArray(S, init, iOff + 3 * ist + L);
        FloatVector c32 = FloatVector.fromArray(S, init, iOff + 3 * ist + 2 * L),
                c33 = FloatVector.fromArray(S, init, iOff + 3 * ist + 3 * L);
        FloatVector c40 = FloatVector.fromArray(S, init, iOff + 4 * ist),
                c41 = FloatVector.fromArray(S, init, iOff + 4 * ist + L);
        FloatVector c42 = FloatVector.fromArray(S, init, iOff + 4 * ist + 2 * L),
                c43 = FloatVector.fromArray(S, init, iOff + 4 * ist + 3 * L);
        FloatVector c50 = FloatVector.fromArray(S, init, iOff + 5 * ist),
                c51 = FloatVector.fromArray(S, init, iOff + 5 * ist + L);
        FloatVector c52 = FloatVector.fromArray(S, init, iOff + 5 * ist + 2 * L),
                c53 = FloatVector.fromArray(S, init, iOff + 5 * ist + 3 * L);
        for (int oy = 0; oy < oh; oy++) {
            int row = oy * wp, b0 = wOff + oy * ow * BLOCK;
            for (int ox = 0; ox < ow; ox++) {
                int q = row + ox, b = b0 + ox * BLOCK;
                FloatVector w0 = FloatVector.fromArray(S, w, b);
                FloatVector w1 = FloatVector.fromArray(S, w, b + L);
                FloatVector w2 = FloatVector.fromArray(S, w, b + 2 * L);
                FloatVector w3 = FloatVector.fromArray(S, w, b + 3 * L);
                FloatVector a0 = FloatVector.broadcast(S, img[off0 + q]);
                c00 = FMA ? a0.fma(w0, c00) : a0.mul(w0).add(c00);
                c01 = FMA ? a0.fma(w1, c01) : a0.mul(w1).add(c01);
                c02 = FMA ? a0.fma(w2, c02) : a0.mul(w2).add(c02);
                c03 = FMA ? a0.fma(w3, c03) : a0.mul(w3).add(c03);
                FloatVector a1 = FloatVector.broadcast(S, img[off1 + q]);
                c10 = FMA ? a1.fma(w0, c10) : a1.mul(w0).add(c10);
                c11 = FMA ? a1.fma(w1, c11) : a1.mul(w1).add(c11);
                c12 = FMA ? a1.fma(w2, c12) : a1.mul(w2).add(c12);
                c13 = FMA ? a1.fma(w3, c13) : a1.mul(w3).add(c13);
                FloatVector a2 = FloatVector.broadcast(S, img[off2 + q]);
                c20 = FMA ? a2.fma(w0, c20) : a2.mul(w0).add(c20);
                c21 = FMA ? a2.fma(w1, c21) : a2.mul(w1).add(c21);
                c22 = FMA ? a2.fma(w2, c22) : a2.mul(w2).add(c22);
                c23 = FMA ? a2.fma(w3, c23) : a2.mul(w3).add(c23);
                FloatVector a3 = FloatVector.broadcast(S, img[off3 + q]);
                c30 = FMA ? a3.fma(w0, c30) : a3.mul(w0).add(c30);
                c31 = FMA ? a3.fma(w1, c31) : a3.mul(w1).add(c31);
                c32 = FMA ? a3.fma(w2, c32) : a3.mul(w2).add(c32);
                c33 = FMA ? a3.fma(w3, c33) : a3.mul(w3).add(c33);
                FloatVector a4 = FloatVector.broadcast(S, img[off4 + q]);
                c40 = FMA ? a4.fma(w0, c40) : a4.mul(w0).add(c40);
                c41 = FMA ? a4.fma(w1, c41) : a4.mul(w1).add(c41);
                c42 = FMA ? a4.fma(w2, c42) : a4.mul(w2).add(c42);
                c43 = FMA ? a4.fma(w3, c43) : a4.mul(w3).add(c43);
                FloatVector a5 = FloatVector.broadcast(S, img[off5 + q]);
                c50 = FMA ? a5.fma(w0, c50) : a5.mul(w0).add(c50);
                c51 = FMA ? a5.fma(w1, c51) : a5.mul(w1).add(c51);
                c52 = FMA ? a5.fma(w2, c52) : a5.mul(w2).add(c52);
                c53 = FMA ? a5.fma(w3, c53) : a5.mul(w3).add(c53);
            }
        }
        c00.intoArray(out, cOff + 0 * BLOCK);
        c01.intoArray(out, cOff + 0 * BLOCK + L);
        c02.intoArray(out, cOff + 0 * BLOCK + 2 * L);
        c03.intoArray(out, cOff + 0 * BLOCK + 3 * L);
        c10.intoArray(out, cOff + 1 * BLOCK);
        c11.intoArray(out, cOff + 1 * BLOCK + L);
        c12.intoArray(out, cOff + 1 * BLOCK + 2 * L);
        c13.intoArray(out, cOff + 1 * BLOCK + 3 * L);
        c20.intoArray(out, cOff + 2 * BLOCK);
        c21.intoArray(out, cOff + 2 * BLOCK + L);
        c22.intoArray(out, cOff + 2 * BLOCK + 2 * L);
        c23.intoArray(out, cOff + 2 * BLOCK + 3 * L);
        c30.intoArray(out, cOff + 3 * BLOCK);
        c31.intoArray(out, cOff + 3 * BLOCK + L);
        c32.intoArray(out, cOff + 3 * BLOCK + 2 * L);
        c33.intoArray(out, cOff + 3 * BLOCK + 3 * L);
        c40.intoArray(out, cOff + 4 * BLOCK);
        c41.intoArray(out, cOff + 4 * BLOCK + L);
        c42.intoArray(out, cOff + 4 * BLOCK + 2 * L);
        c43.intoArray(out, cOff + 4 * BLOCK + 3 * L);
        c50.intoArray(out, cOff + 5 * BLOCK);
        c51.intoArray(out, cOff + 5 * BLOCK + L);
        c52.intoArray(out, cOff + 5 * BLOCK + 2 * L);
        c53.intoArray(out, cOff + 5 * BLOCK + 3 * L);
    }

    /** Input channels of an input-gradient tile (two vectors). */
    static final int HALF = 2 * L;

    // ---------------------------------------------------------------- Winograd F(2x2, 3x3) transforms

    /**
     * Weight transform {@code U = G·g·Gᵀ} for one vector of channels: {@code g[k]} (k = 3i + j) at
     * {@code w[wOff + k·ks]} ({@code ks} may be negative: a filter rotated by 180°), {@code U[ξ]} (ξ = 4i + j)
     * to {@code u[uOff + ξ·ust]}. G's rows are (1, 0, 0),
     * (½, ½, ½), (½, -½, ½), (0, 0, 1).
     */
    static void winogradWeight(float[] w, int wOff, int ks, float[] u, int uOff, int ust) {
        FloatVector half = FloatVector.broadcast(S, 0.5f);
        FloatVector g00 = FloatVector.fromArray(S, w, wOff),
                g01 = FloatVector.fromArray(S, w, wOff + ks),
                g02 = FloatVector.fromArray(S, w, wOff + 2 * ks);
        FloatVector g10 = FloatVector.fromArray(S, w, wOff + 3 * ks),
                g11 = FloatVector.fromArray(S, w, wOff + 4 * ks),
                g12 = FloatVector.fromArray(S, w, wOff + 5 * ks);
        FloatVector g20 = FloatVector.fromArray(S, w, wOff + 6 * ks),
                g21 = FloatVector.fromArray(S, w, wOff + 7 * ks),
                g22 = FloatVector.fromArray(S, w, wOff + 8 * ks);
        // rows of G·g
        FloatVector s10 = g00.add(g10).add(g20).mul(half),
                s11 = g01.add(g11).add(g21).mul(half),
                s12 = g02.add(g12).add(g22).mul(half);
        FloatVector s20 = g00.sub(g10).add(g20).mul(half),
                s21 = g01.sub(g11).add(g21).mul(half),
                s22 = g02.sub(g12).add(g22).mul(half);
        // rows of (G·g)·Gᵀ, written out: a helper taking vectors boxes them where C2 does not inline it
        int a0 = uOff, a1 = uOff + 4 * ust, a2 = uOff + 8 * ust, a3 = uOff + 12 * ust;
        g00.intoArray(u, a0);
        g00.add(g01).add(g02).mul(half).intoArray(u, a0 + ust);
        g00.sub(g01).add(g02).mul(half).intoArray(u, a0 + 2 * ust);
        g02.intoArray(u, a0 + 3 * ust);
        s10.intoArray(u, a1);
        s10.add(s11).add(s12).mul(half).intoArray(u, a1 + ust);
        s10.sub(s11).add(s12).mul(half).intoArray(u, a1 + 2 * ust);
        s12.intoArray(u, a1 + 3 * ust);
        s20.intoArray(u, a2);
        s20.add(s21).add(s22).mul(half).intoArray(u, a2 + ust);
        s20.sub(s21).add(s22).mul(half).intoArray(u, a2 + 2 * ust);
        s22.intoArray(u, a2 + 3 * ust);
        g20.intoArray(u, a3);
        g20.add(g21).add(g22).mul(half).intoArray(u, a3 + ust);
        g20.sub(g21).add(g22).mul(half).intoArray(u, a3 + 2 * ust);
        g22.intoArray(u, a3 + 3 * ust);
    }

    /**
     * Input transform {@code V = Bᵀ·d·B} for one vector of channels: the 4x4 patch {@code d[i][j]} at
     * {@code x[d0 + i·rs + j·cs]}, {@code V[ξ]} (ξ = 4i + j) to {@code v[v0 + ξ·vst]}. Bᵀ's rows are
     * (1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1).
     */
    static void winogradInput(float[] x, int d0, int rs, int cs, float[] v, int v0, int vst) {
        int r1 = d0 + rs, r2 = d0 + 2 * rs, r3 = d0 + 3 * rs;
        FloatVector d00 = FloatVector.fromArray(S, x, d0), d01 = FloatVector.fromArray(S, x, d0 + cs);
        FloatVector d02 = FloatVector.fromArray(S, x, d0 + 2 * cs), d03 = FloatVector.fromArray(S, x, d0 + 3 * cs);
        FloatVector d10 = FloatVector.fromArray(S, x, r1), d11 = FloatVector.fromArray(S, x, r1 + cs);
        FloatVector d12 = FloatVector.fromArray(S, x, r1 + 2 * cs), d13 = FloatVector.fromArray(S, x, r1 + 3 * cs);
        FloatVector d20 = FloatVector.fromArray(S, x, r2), d21 = FloatVector.fromArray(S, x, r2 + cs);
        FloatVector d22 = FloatVector.fromArray(S, x, r2 + 2 * cs), d23 = FloatVector.fromArray(S, x, r2 + 3 * cs);
        FloatVector d30 = FloatVector.fromArray(S, x, r3), d31 = FloatVector.fromArray(S, x, r3 + cs);
        FloatVector d32 = FloatVector.fromArray(S, x, r3 + 2 * cs), d33 = FloatVector.fromArray(S, x, r3 + 3 * cs);
        // rows of Bᵀ·d, each then times B (written out, as above)
        FloatVector t00 = d00.sub(d20), t01 = d01.sub(d21), t02 = d02.sub(d22), t03 = d03.sub(d23);
        t00.sub(t02).intoArray(v, v0);
        t01.add(t02).intoArray(v, v0 + vst);
        t02.sub(t01).intoArray(v, v0 + 2 * vst);
        t01.sub(t03).intoArray(v, v0 + 3 * vst);
        FloatVector t10 = d10.add(d20), t11 = d11.add(d21), t12 = d12.add(d22), t13 = d13.add(d23);
        t10.sub(t12).intoArray(v, v0 + 4 * vst);
        t11.add(t12).intoArray(v, v0 + 4 * vst + vst);
        t12.sub(t11).intoArray(v, v0 + 4 * vst + 2 * vst);
        t11.sub(t13).intoArray(v, v0 + 4 * vst + 3 * vst);
        FloatVector t20 = d20.sub(d10), t21 = d21.sub(d11), t22 = d22.sub(d12), t23 = d23.sub(d13);
        t20.sub(t22).intoArray(v, v0 + 8 * vst);
        t21.add(t22).intoArray(v, v0 + 8 * vst + vst);
        t22.sub(t21).intoArray(v, v0 + 8 * vst + 2 * vst);
        t21.sub(t23).intoArray(v, v0 + 8 * vst + 3 * vst);
        FloatVector t30 = d10.sub(d30), t31 = d11.sub(d31), t32 = d12.sub(d32), t33 = d13.sub(d33);
        t30.sub(t32).intoArray(v, v0 + 12 * vst);
        t31.add(t32).intoArray(v, v0 + 12 * vst + vst);
        t32.sub(t31).intoArray(v, v0 + 12 * vst + 2 * vst);
        t31.sub(t33).intoArray(v, v0 + 12 * vst + 3 * vst);
    }

    /**
     * Output transform {@code Y = Aᵀ·M·A} (+ bias) for one vector of channels: {@code M[ξ]} at {@code m[m0 + ξ·mst]},
     * the 2x2 outputs to {@code y[y0 + i·rs + j·cs]}. Aᵀ's rows are (1, 1, 1, 0), (0, 1, -1, -1).
     */
    static void winogradOutput(float[] m, int m0, int mst, float[] bias, int bOff, float[] y, int y0, int rs, int cs) {
        FloatVector m00 = FloatVector.fromArray(S, m, m0), m01 = FloatVector.fromArray(S, m, m0 + mst);
        FloatVector m02 = FloatVector.fromArray(S, m, m0 + 2 * mst), m03 = FloatVector.fromArray(S, m, m0 + 3 * mst);
        FloatVector m10 = FloatVector.fromArray(S, m, m0 + 4 * mst), m11 = FloatVector.fromArray(S, m, m0 + 5 * mst);
        FloatVector m12 = FloatVector.fromArray(S, m, m0 + 6 * mst), m13 = FloatVector.fromArray(S, m, m0 + 7 * mst);
        FloatVector m20 = FloatVector.fromArray(S, m, m0 + 8 * mst), m21 = FloatVector.fromArray(S, m, m0 + 9 * mst);
        FloatVector m22 = FloatVector.fromArray(S, m, m0 + 10 * mst), m23 = FloatVector.fromArray(S, m, m0 + 11 * mst);
        FloatVector m30 = FloatVector.fromArray(S, m, m0 + 12 * mst), m31 = FloatVector.fromArray(S, m, m0 + 13 * mst);
        FloatVector m32 = FloatVector.fromArray(S, m, m0 + 14 * mst), m33 = FloatVector.fromArray(S, m, m0 + 15 * mst);
        // rows of Aᵀ·M: r0 = M0 + M1 + M2, r1 = M1 - M2 - M3 (M's rows)
        FloatVector r00 = m00.add(m10).add(m20),
                r01 = m01.add(m11).add(m21),
                r02 = m02.add(m12).add(m22),
                r03 = m03.add(m13).add(m23);
        FloatVector r10 = m10.sub(m20).sub(m30),
                r11 = m11.sub(m21).sub(m31),
                r12 = m12.sub(m22).sub(m32),
                r13 = m13.sub(m23).sub(m33);
        FloatVector bv = FloatVector.fromArray(S, bias, bOff);
        r00.add(r01).add(r02).add(bv).intoArray(y, y0);
        r01.sub(r02).sub(r03).add(bv).intoArray(y, y0 + cs);
        r10.add(r11).add(r12).add(bv).intoArray(y, y0 + rs);
        r11.sub(r12).sub(r13).add(bv).intoArray(y, y0 + rs + cs);
    }

    /**
     * The weight gradient's transform of a 2x2 block of dy, {@code Z = A·dY·Aᵀ} (A's rows (1, 0), (1, 1),
     * (1, -1), (0, -1)) for one vector of channels: {@code dY[a][b]} at {@code g[g0 + a·rs + b·cs]}, {@code Z[ξ]} to
     * {@code z[z0 + ξ·zst]}. (The forward's {@code Y = Aᵀ·M·A} is linear in M, so dL/dM = A·dY·Aᵀ.)
     */
    static void winogradGradOut(float[] g, int g0, int rs, int cs, float[] z, int z0, int zst) {
        FloatVector p = FloatVector.fromArray(S, g, g0), q = FloatVector.fromArray(S, g, g0 + cs);
        FloatVector r = FloatVector.fromArray(S, g, g0 + rs), s = FloatVector.fromArray(S, g, g0 + rs + cs);
        // rows of A·dY: (p, q), (p + r, q + s), (p - r, q - s), (-r, -s); each then times Aᵀ
        FloatVector a0 = p.add(r), a1 = q.add(s), b0 = p.sub(r), b1 = q.sub(s), nr = r.neg(), ns = s.neg();
        p.intoArray(z, z0);
        p.add(q).intoArray(z, z0 + zst);
        p.sub(q).intoArray(z, z0 + 2 * zst);
        q.neg().intoArray(z, z0 + 3 * zst);
        a0.intoArray(z, z0 + 4 * zst);
        a0.add(a1).intoArray(z, z0 + 5 * zst);
        a0.sub(a1).intoArray(z, z0 + 6 * zst);
        a1.neg().intoArray(z, z0 + 7 * zst);
        b0.intoArray(z, z0 + 8 * zst);
        b0.add(b1).intoArray(z, z0 + 9 * zst);
        b0.sub(b1).intoArray(z, z0 + 10 * zst);
        b1.neg().intoArray(z, z0 + 11 * zst);
        nr.intoArray(z, z0 + 12 * zst);
        nr.add(ns).intoArray(z, z0 + 13 * zst);
        nr.sub(ns).intoArray(z, z0 + 14 * zst);
        s.intoArray(z, z0 + 15 * zst);
    }

    /**
     * The weight gradient from the transformed one, {@code dg = Gᵀ·dU·G} (the forward's {@code U = G·g·Gᵀ}
     * is linear in g) for one vector of channels: {@code dU[ξ]} at {@code du[d0 + ξ·dst]}, {@code dg[k]} (k = 3i + j)
     * to {@code out[o0 + k·ost]}.
     */
    static void winogradWeightGrad(float[] du, int d0, int dst, float[] out, int o0, int ost) {
        FloatVector half = FloatVector.broadcast(S, 0.5f);
        FloatVector u00 = FloatVector.fromArray(S, du, d0), u01 = FloatVector.fromArray(S, du, d0 + dst);
        FloatVector u02 = FloatVector.fromArray(S, du, d0 + 2 * dst), u03 = FloatVector.fromArray(S, du, d0 + 3 * dst);
        FloatVector u10 = FloatVector.fromArray(S, du, d0 + 4 * dst), u11 = FloatVector.fromArray(S, du, d0 + 5 * dst);
        FloatVector u12 = FloatVector.fromArray(S, du, d0 + 6 * dst), u13 = FloatVector.fromArray(S, du, d0 + 7 * dst);
        FloatVector u20 = FloatVector.fromArray(S, du, d0 + 8 * dst), u21 = FloatVector.fromArray(S, du, d0 + 9 * dst);
        FloatVector u22 = FloatVector.fromArray(S, du, d0 + 10 * dst),
                u23 = FloatVector.fromArray(S, du, d0 + 11 * dst);
        FloatVector u30 = FloatVector.fromArray(S, du, d0 + 12 * dst),
                u31 = FloatVector.fromArray(S, du, d0 + 13 * dst);
        FloatVector u32 = FloatVector.fromArray(S, du, d0 + 14 * dst),
                u33 = FloatVector.fromArray(S, du, d0 + 15 * dst);
        // rows of Gᵀ·dU: t0 = U0 + ½(U1 + U2), t1 = ½(U1 - U2), t2 = ½(U1 + U2) + U3 (U's rows)
        FloatVector s0 = u10.add(u20).mul(half),
                s1 = u11.add(u21).mul(half),
                s2 = u12.add(u22).mul(half),
                s3 = u13.add(u23).mul(half);
        FloatVector t00 = u00.add(s0), t01 = u01.add(s1), t02 = u02.add(s2), t03 = u03.add(s3);
        FloatVector t10 = u10.sub(u20).mul(half),
                t11 = u11.sub(u21).mul(half),
                t12 = u12.sub(u22).mul(half),
                t13 = u13.sub(u23).mul(half);
        FloatVector t20 = s0.add(u30), t21 = s1.add(u31), t22 = s2.add(u32), t23 = s3.add(u33);
        // then times G, row by row: (t0 + ½(t1 + t2), ½(t1 - t2), ½(t1 + t2) + t3)
        FloatVector h0 = t01.add(t02).mul(half),
                h1 = t11.add(t12).mul(half),
                h2 = t21.add(t22).mul(half);
        t00.add(h0).intoArray(out, o0);
        t01.sub(t02).mul(half).intoArray(out, o0 + ost);
        h0.add(t03).intoArray(out, o0 + 2 * ost);
        t10.add(h1).intoArray(out, o0 + 3 * ost);
        t11.sub(t12).mul(half).intoArray(out, o0 + 4 * ost);
        h1.add(t13).intoArray(out, o0 + 5 * ost);
        t20.add(h2).intoArray(out, o0 + 6 * ost);
        t21.sub(t22).mul(half).intoArray(out, o0 + 7 * ost);
        h2.add(t23).intoArray(out, o0 + 8 * ost);
    }

    // ---------------------------------------------------------------- stride-2 phases (ImplicitGemmConv)

    /** Lane i takes lane 2i of the pair (a, b): the even lanes of a then of b (indices past L are b's). */
    private static final VectorShuffle<Float> EVENS = VectorShuffle.fromOp(S, i -> 2 * i);
    /** Lane i takes lane 2i + 1 of the pair (a, b). */
    private static final VectorShuffle<Float> ODDS = VectorShuffle.fromOp(S, i -> 2 * i + 1);
    /** Lane i takes a's lane i/2 (i even) or b's (i odd): the pair's first halves interleaved. */
    private static final VectorShuffle<Float> ZIP_LOW = VectorShuffle.fromOp(S, i -> i / 2 + (i % 2) * L);
    /** The pair's second halves interleaved. */
    private static final VectorShuffle<Float> ZIP_HIGH = VectorShuffle.fromOp(S, i -> L / 2 + i / 2 + (i % 2) * L);

    /**
     * {@code even[e + k] = src[s + 2k]} and {@code odd[o + k] = src[s + 2k + 1]} for the n floats of
     * {@code src} from s (a stride-2 convolution's image row split into its two column phases).
     */
    static void deinterleave(float[] src, int s, int n, float[] even, int e, float[] odd, int o) {
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            FloatVector a = FloatVector.fromArray(S, src, s + i), b = FloatVector.fromArray(S, src, s + i + L);
            a.rearrange(EVENS, b).intoArray(even, e + i / 2);
            a.rearrange(ODDS, b).intoArray(odd, o + i / 2);
        }
        if (i < n) {
            // the tail in one masked step (a 14-float row has no whole step of 16 at 8 lanes): the
            // floats past the run in even and odd are another phase's padding and stay untouched
            FloatVector a = FloatVector.fromArray(S, src, s + i, S.indexInRange(i, n)),
                    b = FloatVector.fromArray(S, src, s + i + L, S.indexInRange(i + L, n));
            a.rearrange(EVENS, b).intoArray(even, e + i / 2, S.indexInRange(0, (n - i + 1) / 2));
            a.rearrange(ODDS, b).intoArray(odd, o + i / 2, S.indexInRange(0, (n - i) / 2));
        }
    }

    /** The inverse of {@link #deinterleave}: {@code dst[d + 2k] = even[e + k]}, {@code dst[d + 2k + 1] = odd[o + k]}, n floats. */
    static void interleave(float[] even, int e, float[] odd, int o, int n, float[] dst, int d) {
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            FloatVector a = FloatVector.fromArray(S, even, e + i / 2), b = FloatVector.fromArray(S, odd, o + i / 2);
            a.rearrange(ZIP_LOW, b).intoArray(dst, d + i);
            a.rearrange(ZIP_HIGH, b).intoArray(dst, d + i + L);
        }
        if (i < n) {
            FloatVector a = FloatVector.fromArray(S, even, e + i / 2, S.indexInRange(0, (n - i + 1) / 2)),
                    b = FloatVector.fromArray(S, odd, o + i / 2, S.indexInRange(0, (n - i) / 2));
            a.rearrange(ZIP_LOW, b).intoArray(dst, d + i, S.indexInRange(i, n));
            a.rearrange(ZIP_HIGH, b).intoArray(dst, d + i + L, S.indexInRange(i + L, n));
        }
    }
}
