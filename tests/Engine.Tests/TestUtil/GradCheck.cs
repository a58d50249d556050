using System.Globalization;
using Xunit.Sdk;

namespace Engine.Tests.TestUtil;

/// <summary>
/// Finite-difference gradient check for float32 ops.
/// </summary>
/// <remarks>
/// The scalar checked is L(x) = sum(f(x) * w) for a fixed upstream weight w (random, so that no
/// gradient is trivially uniform). The analytic gradient comes from f(x).Backward(w). The numeric one
/// is the central difference (L(x + h e_j) - L(x - h e_j)) / (x_j+ - x_j-), where x_j+- are the float32
/// values actually stored (so the rounding of x +- h does not bias the quotient) and L is accumulated in
/// float64 from the float32 outputs. Error budget: truncation h^2/6 |f'''| (about 2e-5 |f'''| at h = 1e-2)
/// plus float32 output rounding 2^-24 |f| sqrt(n) / h (about 1e-5 for n = 24 and |f| ~ 1); the default
/// tolerance atol 2e-3 + rtol 1e-2 is ~100x above both, while a wrong gradient is off by O(1).
/// Inputs must stay away from kinks (abs, relu at 0; ties in max) by more than h.
/// </remarks>
public static class GradCheck
{
    /// <summary>Checks every float input's gradient of f at the given values.</summary>
    /// <param name="f">The op under test; called with fresh leaf tensors (the same shapes as inputs).</param>
    /// <param name="inputs">Input values (shape and data), float32.</param>
    /// <param name="upstream">w, one per output element; null means a fixed pseudo-random w.</param>
    public static void Check(Func<Tensor[], Tensor> f, (int[] shape, float[] data)[] inputs, double[]? upstream = null,
        float h = 1e-2f, double rtol = 1e-2, double atol = 2e-3, string what = "op")
    {
        using var scope = Tensor.Scope();
        // Analytic: backward of sum(f(x) * w).
        var leaves = inputs.Select(i => Make(i.shape, i.data).RequiresGrad_()).ToArray();
        var y = f(leaves);
        var w = upstream ?? PseudoRandom(y.Numel);
        if (w.Length != y.Numel) throw new ArgumentException($"{what}: upstream has {w.Length} values for an output of shape {y.Shape}");
        y.Backward(Make(y.Shape.ToArray(), w.Select(v => (float)v).ToArray()));
        var analytic = leaves.Select(l => l.Grad?.ToArray()).ToArray();

        for (int k = 0; k < inputs.Length; k++)
        {
            var (shape, data) = inputs[k];
            if (analytic[k] is not float[] an)
                throw new XunitException($"{what}: input {k} of shape {Shape.Format(shape)} got no gradient");
            var numeric = new double[data.Length];
            for (int j = 0; j < data.Length; j++)
            {
                var plus = (float[])data.Clone(); plus[j] = data[j] + h;
                var minus = (float[])data.Clone(); minus[j] = data[j] - h;
                double lp = Loss(f, inputs, k, plus, w), lm = Loss(f, inputs, k, minus, w);
                numeric[j] = (lp - lm) / ((double)plus[j] - minus[j]);
            }
            for (int j = 0; j < data.Length; j++)
            {
                double n = numeric[j], a = an[j];
                if (!(Math.Abs(n - a) <= atol + rtol * Math.Max(Math.Abs(n), Math.Abs(a))))
                    throw new XunitException(string.Create(CultureInfo.InvariantCulture,
                        $"{what}: gradient of input {k} (shape {Shape.Format(shape)}) at flat index {j} (x = {data[j]:G6}): analytic {a:G7}, finite difference {n:G7} (h {h}, rtol {rtol}, atol {atol})\n analytic: [{string.Join(", ", an.Take(12).Select(v => v.ToString("G5", CultureInfo.InvariantCulture)))}]\n numeric:  [{string.Join(", ", numeric.Take(12).Select(v => v.ToString("G5", CultureInfo.InvariantCulture)))}]"));
            }
        }
    }

    /// <summary>L = sum(f(x) * w) in float64, with input k replaced, without recording a graph.</summary>
    private static double Loss(Func<Tensor[], Tensor> f, (int[] shape, float[] data)[] inputs, int k, float[] xk, double[] w)
    {
        using var scope = Tensor.Scope();
        using var _ = Tensor.NoGrad();
        var ts = inputs.Select((i, n) => Make(i.shape, n == k ? xk : i.data)).ToArray();
        var y = f(ts).ToArray();
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += y[i] * w[i];
        return s;
    }

    /// <summary>A float32 tensor of any rank (rank 0 included).</summary>
    public static Tensor Make(int[] shape, float[] data) => Tensor.FromArray(data, shape.Length == 0 ? [1] : shape).Reshape(shape);

    /// <summary>Deterministic weights in [-1, 1] \ (-0.25, 0.25).</summary>
    public static double[] PseudoRandom(int n, int seed = 7)
    {
        var g = new Generator(seed);
        return Enumerable.Range(0, n).Select(_ => { double u = g.NextDouble() * 1.5 - 0.75; return u + Math.Sign(u) * 0.25; }).ToArray();
    }

    /// <summary>Deterministic input values: uniform in [lo, hi).</summary>
    public static float[] Values(int n, float lo = -2f, float hi = 2f, int seed = 11)
    {
        var g = new Generator(seed);
        return Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * g.NextFloat()).ToArray();
    }
}
