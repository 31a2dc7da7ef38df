"""The polynomial Q of VectorGelu: erfc(z) = t·Q(t)·exp(-z²) with t = 1/(1 + z/2), for z in [0, 10].

Q(t) = erfc(z)·exp(z²)/t is smooth on t in [1/6, 1] (z = 2/t - 2 from 10 down to 0): Q(1) = 1, and Q
tends to 1/(2√π) as z grows. A degree-8 fit for relative error (Chebyshev least squares, reweighted
towards the largest errors) is within 4.3e-8 of it, 7.9e-8 with its coefficients rounded to float, and
1.7e-7 evaluated in float by Horner's rule with fused multiply-adds (the script prints the three). Writing Φ as ½·t·Q(t)·exp(-z²) leaves one exp, exp(-z²), which GELU's
derivative shares with the density φ(x) = exp(-z²)/√(2π).

Run: python3 kernels/src/template/gelu_polynomial.py (numpy, scipy); paste the printed constants into
VectorGelu.java.
"""
import numpy as np
from scipy.special import erfcx

DEGREE = 8
t = np.linspace(1 / 6, 1, 400001)
target = erfcx(2 / t - 2) / t
weights = 1 / target
for _ in range(40):
    fit = np.polynomial.chebyshev.Chebyshev.fit(t, target, DEGREE, domain=[1 / 6, 1], w=weights)
    rel = (fit(t) - target) / target
    weights = weights * (1 + 10 * np.abs(rel) / np.abs(rel).max())
coef = [np.float32(c) for c in np.polynomial.Polynomial.cast(fit).coef]

rounded = np.polynomial.Polynomial([float(c) for c in coef])(t)
q = np.full_like(t, coef[-1], dtype=np.float32)
t32 = t.astype(np.float32)
for c in coef[-2::-1]:
    q = (q.astype(np.float64) * t32 + np.float64(c)).astype(np.float32)  # one rounding a step: an FMA
print(
    "relative error: the fit %.2e, its coefficients rounded to float %.2e, evaluated in float %.2e"
    % (np.abs(rel).max(), np.abs((rounded - target) / target).max(), np.abs((q - target) / target).max())
)
for i, c in enumerate(coef):
    print("Q%d = %rf," % (i, float(c)))
