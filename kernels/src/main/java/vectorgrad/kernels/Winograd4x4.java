package vectorgrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The transforms of Winograd's F(4x4, 3x3) (Lavin and Gray, 2015; interpolation points 0, ±1, ±2 and
 * ∞), for {@link WinogradConv}'s tiles of 4x4 outputs: 36 products per tile and channel pair instead of
 * F(2x2, 3x3)'s 64 for the same 16 outputs (the direct sum's 144).
 *
 * <p>Each 2-D transform is its 1-D transform over the rows into a small scratch ({@code tmp}, 36 vectors),
 * then over the columns: twelve short loops of six loads and six stores rather than 36 live vectors,
 * which sixteen registers do not hold. The 1-D transforms, with these matrices:
 * <pre>
 *   Bᵀ = [4  0 -5  0  1  0]   G = [ 1/4    0     0  ]   Aᵀ = [1  1  1  1  1  0]
 *        [0 -4 -4  1  1  0]       [-1/6  -1/6  -1/6 ]        [0  1 -1  2 -2  0]
 *        [0  4 -4 -1  1  0]       [-1/6   1/6  -1/6 ]        [0  1  1  4  4  0]
 *        [0 -2 -1  2  1  0]       [1/24  1/12  1/6  ]        [0  1 -1  8 -8  1]
 *        [0  2 -1 -2  1  0]       [1/24 -1/12  1/6  ]
 *        [0  4  0 -5  0  1]       [ 0      0     1  ]
 * </pre>
 * use multiplies and adds, never a fused multiply-add, in an order that {@link ColdKernels}' scalar forms
 * repeat (the cold-start twin's results are the vector form's bit for bit).
 *
 * <p>The rounding is larger than F(2x2, 3x3)'s (the transforms' coefficients reach 8 and 1/24): on uniform
 * random data the largest error against the double-precision definition is 1.8-3.5e-5 of the result's RMS
 * (F(2x2, 3x3): 1-2e-6; docs/PERFORMANCE.md).
 */
final class Winograd4x4 {
    private Winograd4x4() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final int L = S.length();

    /** Transformed values per tile: 6x6. */
    static final int POINTS = 36;
    /** Floats of the per-thread scratch the 2-D transforms take. */
    static final int TMP = POINTS * L;

    /** Constants of G (compile-time constants: {@link ColdKernels} reads them without loading this class). */
    static final float SIXTH = 1f / 6f, TWELFTH = 1f / 12f, TWENTY_FOURTH = 1f / 24f;

    // ---------------------------------------------------------------- 2-D transforms, one vector of channels

    /**
     * {@code V = Bᵀ·d·B}: the 6x6 patch {@code d[i][j]} at {@code x[d0 + i·rs + j·cs]}, {@code V[ξ]} (ξ = 6i + j) to
     * {@code v[v0 + ξ·vst]}.
     */
    static void input(float[] x, int d0, int rs, int cs, float[] v, int v0, int vst, float[] tmp) {
        for (int i = 0; i < 6; i++) bt(x, d0 + i * rs, cs, tmp, 6 * i * L, L);
        for (int j = 0; j < 6; j++) bt(tmp, j * L, 6 * L, v, v0 + j * vst, 6 * vst);
    }

    /**
     * {@code Y = Aᵀ·M·A + bias}: {@code M[ξ]} at {@code m[m0 + ξ·mst]}, the 4x4 outputs to {@code y[y0 + i·rs + j·cs]}.
     */
    static void output(
            float[] m, int m0, int mst, float[] bias, int bOff, float[] y, int y0, int rs, int cs, float[] tmp) {
        for (int i = 0; i < 6; i++) at(m, m0 + 6 * i * mst, mst, tmp, 4 * i * L, L);
        FloatVector b = FloatVector.fromArray(S, bias, bOff);
        for (int j = 0; j < 4; j++) {
            int s = j * L, ss = 4 * L, d = y0 + j * cs;
            FloatVector x0 = FloatVector.fromArray(S, tmp, s), x1 = FloatVector.fromArray(S, tmp, s + ss);
            FloatVector x2 = FloatVector.fromArray(S, tmp, s + 2 * ss), x3 = FloatVector.fromArray(S, tmp, s + 3 * ss);
            FloatVector x4 = FloatVector.fromArray(S, tmp, s + 4 * ss), x5 = FloatVector.fromArray(S, tmp, s + 5 * ss);
            FloatVector p = x1.add(x2), q = x1.sub(x2), r = x3.add(x4), t = x3.sub(x4);
            p.add(x0).add(r).add(b).intoArray(y, d);
            q.add(t.mul(2f)).add(b).intoArray(y, d + rs);
            p.add(r.mul(4f)).add(b).intoArray(y, d + 2 * rs);
            q.add(t.mul(8f)).add(x5).add(b).intoArray(y, d + 3 * rs);
        }
    }

    /**
     * {@code U = G·g·Gᵀ}: {@code g[k]} (k = 3i + j) at {@code w[wOff + k·ks]} ({@code ks} may be negative: a filter
     * rotated by 180°), {@code U[ξ]} (ξ = 6i + j) to {@code u[uOff + ξ·ust]}.
     */
    static void weight(float[] w, int wOff, int ks, float[] u, int uOff, int ust, float[] tmp) {
        for (int i = 0; i < 3; i++) g(w, wOff + 3 * i * ks, ks, tmp, 6 * i * L, L);
        for (int j = 0; j < 6; j++) g(tmp, j * L, 6 * L, u, uOff + j * ust, 6 * ust);
    }

    /**
     * The weight gradient's transform of a 4x4 block of dy, {@code Z = A·dY·Aᵀ}: {@code dY[a][b]} at
     * {@code g[g0 + a·rs + b·cs]}, {@code Z[ξ]} to {@code z[z0 + ξ·zst]} (the output transform is linear in M,
     * so dL/dM = A·dY·Aᵀ).
     */
    static void gradOut(float[] g, int g0, int rs, int cs, float[] z, int z0, int zst, float[] tmp) {
        for (int i = 0; i < 4; i++) a(g, g0 + i * rs, cs, tmp, 6 * i * L, L);
        for (int j = 0; j < 6; j++) a(tmp, j * L, 6 * L, z, z0 + j * zst, 6 * zst);
    }

    /**
     * The weight gradient from the transformed one, {@code dg = Gᵀ·dU·G}: {@code dU[ξ]} at {@code du[d0 + ξ·dst]},
     * {@code dg[k]} (k = 3i + j) to {@code out[o0 + k·ost]}.
     */
    static void weightGrad(float[] du, int d0, int dst, float[] out, int o0, int ost, float[] tmp) {
        for (int i = 0; i < 6; i++) gt(du, d0 + 6 * i * dst, dst, tmp, 3 * i * L, L);
        for (int j = 0; j < 3; j++) gt(tmp, j * L, 3 * L, out, o0 + j * ost, 3 * ost);
    }

    // ---------------------------------------------------------------- 1-D transforms, vectors a stride apart

    /** Bᵀ·x: six vectors {@code s[s0 + k·ss]} to six {@code d[d0 + k·ds]}. */
    private static void bt(float[] s, int s0, int ss, float[] d, int d0, int ds) {
        FloatVector x0 = FloatVector.fromArray(S, s, s0), x1 = FloatVector.fromArray(S, s, s0 + ss);
        FloatVector x2 = FloatVector.fromArray(S, s, s0 + 2 * ss), x3 = FloatVector.fromArray(S, s, s0 + 3 * ss);
        FloatVector x4 = FloatVector.fromArray(S, s, s0 + 4 * ss), x5 = FloatVector.fromArray(S, s, s0 + 5 * ss);
        FloatVector p = x4.sub(x2.mul(4f)),
                q = x3.sub(x1.mul(4f)),
                r = x4.sub(x2),
                t = x3.sub(x1).mul(2f);
        x0.mul(4f).sub(x2.mul(5f)).add(x4).intoArray(d, d0);
        p.add(q).intoArray(d, d0 + ds);
        p.sub(q).intoArray(d, d0 + 2 * ds);
        r.add(t).intoArray(d, d0 + 3 * ds);
        r.sub(t).intoArray(d, d0 + 4 * ds);
        x1.mul(4f).sub(x3.mul(5f)).add(x5).intoArray(d, d0 + 5 * ds);
    }

    /** Aᵀ·x: six vectors to four. */
    private static void at(float[] s, int s0, int ss, float[] d, int d0, int ds) {
        FloatVector x0 = FloatVector.fromArray(S, s, s0), x1 = FloatVector.fromArray(S, s, s0 + ss);
        FloatVector x2 = FloatVector.fromArray(S, s, s0 + 2 * ss), x3 = FloatVector.fromArray(S, s, s0 + 3 * ss);
        FloatVector x4 = FloatVector.fromArray(S, s, s0 + 4 * ss), x5 = FloatVector.fromArray(S, s, s0 + 5 * ss);
        FloatVector p = x1.add(x2), q = x1.sub(x2), r = x3.add(x4), t = x3.sub(x4);
        p.add(x0).add(r).intoArray(d, d0);
        q.add(t.mul(2f)).intoArray(d, d0 + ds);
        p.add(r.mul(4f)).intoArray(d, d0 + 2 * ds);
        q.add(t.mul(8f)).add(x5).intoArray(d, d0 + 3 * ds);
    }

    /** G·x: three vectors to six. */
    private static void g(float[] s, int s0, int ss, float[] d, int d0, int ds) {
        FloatVector x0 = FloatVector.fromArray(S, s, s0), x1 = FloatVector.fromArray(S, s, s0 + ss);
        FloatVector x2 = FloatVector.fromArray(S, s, s0 + 2 * ss);
        FloatVector p = x0.add(x2), q = x0.mul(TWENTY_FOURTH).add(x2.mul(SIXTH)), r = x1.mul(TWELFTH);
        x0.mul(0.25f).intoArray(d, d0);
        p.add(x1).mul(-SIXTH).intoArray(d, d0 + ds);
        p.sub(x1).mul(-SIXTH).intoArray(d, d0 + 2 * ds);
        q.add(r).intoArray(d, d0 + 3 * ds);
        q.sub(r).intoArray(d, d0 + 4 * ds);
        x2.intoArray(d, d0 + 5 * ds);
    }

    /** A·x (A = (Aᵀ)ᵀ): four vectors to six. */
    private static void a(float[] s, int s0, int ss, float[] d, int d0, int ds) {
        FloatVector x0 = FloatVector.fromArray(S, s, s0), x1 = FloatVector.fromArray(S, s, s0 + ss);
        FloatVector x2 = FloatVector.fromArray(S, s, s0 + 2 * ss), x3 = FloatVector.fromArray(S, s, s0 + 3 * ss);
        FloatVector p = x0.add(x2),
                q = x1.add(x3),
                r = x0.add(x2.mul(4f)),
                t = x1.mul(2f).add(x3.mul(8f));
        x0.intoArray(d, d0);
        p.add(q).intoArray(d, d0 + ds);
        p.sub(q).intoArray(d, d0 + 2 * ds);
        r.add(t).intoArray(d, d0 + 3 * ds);
        r.sub(t).intoArray(d, d0 + 4 * ds);
        x3.intoArray(d, d0 + 5 * ds);
    }

    /** Gᵀ·x: six vectors to three. */
    private static void gt(float[] s, int s0, int ss, float[] d, int d0, int ds) {
        FloatVector x0 = FloatVector.fromArray(S, s, s0), x1 = FloatVector.fromArray(S, s, s0 + ss);
        FloatVector x2 = FloatVector.fromArray(S, s, s0 + 2 * ss), x3 = FloatVector.fromArray(S, s, s0 + 3 * ss);
        FloatVector x4 = FloatVector.fromArray(S, s, s0 + 4 * ss), x5 = FloatVector.fromArray(S, s, s0 + 5 * ss);
        FloatVector p = x1.add(x2), q = x1.sub(x2), r = x3.add(x4), t = x3.sub(x4);
        x0.mul(0.25f).sub(p.mul(SIXTH)).add(r.mul(TWENTY_FOURTH)).intoArray(d, d0);
        t.mul(TWELFTH).sub(q.mul(SIXTH)).intoArray(d, d0 + ds);
        r.mul(SIXTH).sub(p.mul(SIXTH)).add(x5).intoArray(d, d0 + 2 * ds);
    }
}
