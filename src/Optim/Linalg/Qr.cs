using System.Numerics.Tensors;

namespace Engine.Optim.Linalg;

/// <summary>
/// The orthogonal factor of a QR decomposition by Householder reflections, in double on the host (LAPACK's
/// geqrf + orgqr, unblocked). For <see cref="SOAP"/>'s power-iteration refresh of its eigenbases.
/// </summary>
public static class Qr
{
    /// <summary>
    /// Q of A = Q R for an m×n matrix a (row-major, m ≥ n): m×n, orthonormal columns, row-major. Column signs
    /// follow LAPACK (R's diagonal may be negative).
    /// </summary>
    public static double[] Q(double[] a, int m, int n)
    {
        if (a.Length != m * n) throw new ArgumentException($"Qr: expected {m}x{n} = {m * n} values, got {a.Length}");
        if (m < n) throw new ArgumentException($"Qr: needs at least as many rows as columns, got {m}x{n}");
        // Work column-major: the reflections act on columns, so each column is contiguous.
        var r = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) r[j * m + i] = a[i * n + j];
        var tau = new double[n];
        for (int k = 0; k < n; k++)
        {
            // the reflection H = I - τ v vᵀ (v[k] = 1) that zeroes column k below the diagonal
            var col = r.AsSpan(k * m, m);
            double norm = 0;
            for (int i = k + 1; i < m; i++) norm += col[i] * col[i];
            double alpha = col[k];
            if (norm == 0) { tau[k] = 0; continue; }
            double beta = -Math.CopySign(Math.Sqrt(alpha * alpha + norm), alpha);
            tau[k] = (beta - alpha) / beta;
            double scale = 1 / (alpha - beta);
            for (int i = k + 1; i < m; i++) col[i] *= scale;
            col[k] = beta;
            // apply H to the columns on the right: c = c - τ (vᵀc) v
            var below = col[(k + 1)..];
            for (int j = k + 1; j < n; j++)
            {
                var cj = r.AsSpan(j * m, m);
                double dot = (cj[k] + TensorPrimitives.Dot<double>(below, cj[(k + 1)..])) * tau[k];
                cj[k] -= dot;
                TensorPrimitives.MultiplyAdd(below, -dot, cj[(k + 1)..], cj[(k + 1)..]);
            }
        }
        // Q = H₀ H₁ ... Hₙ₋₁ applied to the first n columns of I, built from the last reflection back
        var q = new double[m * n];
        for (int j = 0; j < n; j++) q[j * m + j] = 1;
        for (int k = n - 1; k >= 0; k--)
        {
            if (tau[k] == 0) continue;
            var v = r.AsSpan(k * m + k + 1, m - k - 1);
            for (int j = k; j < n; j++)
            {
                var qj = q.AsSpan(j * m, m);
                double dot = (qj[k] + TensorPrimitives.Dot<double>(v, qj[(k + 1)..])) * tau[k];
                qj[k] -= dot;
                TensorPrimitives.MultiplyAdd(v, -dot, qj[(k + 1)..], qj[(k + 1)..]);
            }
        }
        var result = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) result[i * n + j] = q[j * m + i];
        return result;
    }
}
