using System.Numerics.Tensors;

namespace Engine.Optim.Linalg;

/// <summary>
/// Eigenvalues and eigenvectors of a real symmetric matrix, in double on the host: Householder reduction to
/// tridiagonal form, then the implicit QL algorithm with shifts (EISPACK's tred2 and tql2, by way of JAMA).
/// O(n³); meant for the preconditioners of <see cref="SOAP"/> (n up to a few thousand).
/// </summary>
public static class SymmetricEigen
{
    /// <summary>
    /// A = V diag(λ) Vᵀ for a symmetric n×n matrix a (row-major). Returns the eigenvalues in ascending order and
    /// V (row-major, column j the eigenvector of λⱼ), as numpy.linalg.eigh / torch.linalg.eigh order them.
    /// Only the lower triangle of a is read.
    /// </summary>
    public static (double[] Values, double[] Vectors) Decompose(double[] a, int n)
    {
        if (a.Length != n * n) throw new ArgumentException($"SymmetricEigen: expected {n}x{n} = {n * n} values, got {a.Length}");
        var v = (double[])a.Clone();
        var d = new double[n];
        var e = new double[n];
        if (n == 0) return (d, v);
        Tridiagonalize(v, d, e, n);
        // the QL sweeps rotate pairs of columns of v: transposed, those are contiguous rows (vectorized)
        Transpose(v, n);
        Ql(v, d, e, n);
        Transpose(v, n);
        return (d, v);
    }

    // Householder tridiagonalization (tred2): on exit d is the diagonal, e the subdiagonal (e[0] = 0), v the
    // accumulated orthogonal transformation.
    private static void Tridiagonalize(double[] v, double[] d, double[] e, int n)
    {
        for (int j = 0; j < n; j++) d[j] = v[(n - 1) * n + j];
        for (int i = n - 1; i > 0; i--)
        {
            // scale to avoid under/overflow
            double scale = 0, h = 0;
            for (int k = 0; k < i; k++) scale += Math.Abs(d[k]);
            if (scale == 0)
            {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++)
                {
                    d[j] = v[(i - 1) * n + j];
                    v[i * n + j] = 0;
                    v[j * n + i] = 0;
                }
            }
            else
            {
                // the Householder vector
                for (int k = 0; k < i; k++) { d[k] /= scale; h += d[k] * d[k]; }
                double f = d[i - 1];
                double g = Math.Sqrt(h);
                if (f > 0) g = -g;
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++) e[j] = 0;
                // apply the similarity transformation to the remaining columns
                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    v[j * n + i] = f;
                    g = e[j] + v[j * n + j] * f;
                    for (int k = j + 1; k <= i - 1; k++)
                    {
                        g += v[k * n + j] * d[k];
                        e[k] += v[k * n + j] * f;
                    }
                    e[j] = g;
                }
                f = 0;
                for (int j = 0; j < i; j++) { e[j] /= h; f += e[j] * d[j]; }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) e[j] -= hh * d[j];
                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    g = e[j];
                    for (int k = j; k <= i - 1; k++) v[k * n + j] -= f * e[k] + g * d[k];
                    d[j] = v[(i - 1) * n + j];
                    v[i * n + j] = 0;
                }
            }
            d[i] = h;
        }
        // accumulate the transformations
        for (int i = 0; i < n - 1; i++)
        {
            v[(n - 1) * n + i] = v[i * n + i];
            v[i * n + i] = 1;
            double h = d[i + 1];
            if (h != 0)
            {
                for (int k = 0; k <= i; k++) d[k] = v[k * n + i + 1] / h;
                for (int j = 0; j <= i; j++)
                {
                    double g = 0;
                    for (int k = 0; k <= i; k++) g += v[k * n + i + 1] * v[k * n + j];
                    for (int k = 0; k <= i; k++) v[k * n + j] -= g * d[k];
                }
            }
            for (int k = 0; k <= i; k++) v[k * n + i + 1] = 0;
        }
        for (int j = 0; j < n; j++)
        {
            d[j] = v[(n - 1) * n + j];
            v[(n - 1) * n + j] = 0;
        }
        v[(n - 1) * n + n - 1] = 1;
        e[0] = 0;
    }

    private static void Transpose(double[] a, int n)
    {
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) (a[i * n + j], a[j * n + i]) = (a[j * n + i], a[i * n + j]);
    }

    // Implicit QL with Wilkinson-style shifts on the tridiagonal (d, e) (tql2), accumulating into w = vᵀ (row j is
    // eigenvector j); then sorts.
    private static void Ql(double[] w, double[] d, double[] e, int n)
    {
        var tmp = new double[n];
        for (int i = 1; i < n; i++) e[i - 1] = e[i];
        e[n - 1] = 0;
        double f = 0, tst1 = 0, eps = Math.Pow(2, -52);
        for (int l = 0; l < n; l++)
        {
            // find a small subdiagonal element
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            int m = l;
            while (m < n)
            {
                if (Math.Abs(e[m]) <= eps * tst1) break;
                m++;
            }
            if (m == n) m = n - 1;
            // if m == l, d[l] is an eigenvalue; otherwise iterate
            if (m > l)
            {
                int iter = 0;
                do
                {
                    if (++iter > 64 * n + 100) throw new ArithmeticException("SymmetricEigen: the QL iteration did not converge (NaN or Inf in the matrix?)");
                    // the shift
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = Hypot(p, 1);
                    if (p < 0) r = -r;
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) d[i] -= h;
                    f += h;
                    // the implicit QL transformation
                    p = d[m];
                    double c = 1, c2 = c, c3 = c, el1 = e[l + 1], s = 0, s2 = 0;
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        // accumulate the rotation: rows i and i+1 of w
                        var ri = w.AsSpan(i * n, n);
                        var rj = w.AsSpan((i + 1) * n, n);
                        rj.CopyTo(tmp);
                        TensorPrimitives.Multiply(rj, c, rj);
                        TensorPrimitives.MultiplyAdd(ri, s, rj, rj);          // w[i+1] = s w[i] + c w[i+1]
                        TensorPrimitives.Multiply(ri, c, ri);
                        TensorPrimitives.MultiplyAdd(tmp, -s, ri, ri);        // w[i] = c w[i] - s w[i+1]
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.Abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0;
        }
        // sort ascending, with the vectors
        for (int i = 0; i < n - 1; i++)
        {
            int k = i;
            double p = d[i];
            for (int j = i + 1; j < n; j++)
                if (d[j] < p) { k = j; p = d[j]; }
            if (k == i) continue;
            d[k] = d[i];
            d[i] = p;
            var a = w.AsSpan(i * n, n);
            var b = w.AsSpan(k * n, n);
            a.CopyTo(tmp); b.CopyTo(a); tmp.CopyTo(b);
        }
    }

    private static double Hypot(double a, double b)
    {
        double x = Math.Abs(a), y = Math.Abs(b);
        if (x < y) (x, y) = (y, x);
        if (x == 0) return 0;
        double r = y / x;
        return x * Math.Sqrt(1 + r * r);
    }
}
