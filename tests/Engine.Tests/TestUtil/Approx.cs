using System.Globalization;
using Xunit.Sdk;

namespace Engine.Tests.TestUtil;

/// <summary>
/// Approximate equality with messages that name the first offending element, both values and the tolerance.
/// Elements match when |actual - expected| &lt;= atol + rtol * |expected| (NumPy's allclose); NaN matches only NaN,
/// and infinities must be equal.
/// </summary>
public static class Approx
{
    public static void Equal(IReadOnlyList<double> expected, IReadOnlyList<float> actual, double rtol = 1e-5, double atol = 1e-6, string what = "values")
    {
        if (expected.Count != actual.Count)
            throw new XunitException($"{what}: expected {expected.Count} elements, got {actual.Count}");
        int bad = 0, first = -1; double worst = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            double e = expected[i], a = actual[i];
            bool ok = double.IsNaN(e) ? double.IsNaN(a)
                : double.IsInfinity(e) ? e == a
                : !double.IsNaN(a) && Math.Abs(a - e) <= atol + rtol * Math.Abs(e);
            if (!ok)
            {
                bad++;
                if (first < 0) first = i;
                worst = Math.Max(worst, double.IsNaN(a) ? double.PositiveInfinity : Math.Abs(a - e));
            }
        }
        if (bad > 0)
            throw new XunitException(string.Create(CultureInfo.InvariantCulture,
                $"{what}: {bad} of {expected.Count} elements differ (rtol {rtol}, atol {atol}); first at [{first}]: expected {expected[first]:G9}, got {actual[first]:G9}; worst abs error {worst:G3}\n expected: {Show(expected)}\n actual:   {Show(actual.Select(v => (double)v).ToList())}"));
    }

    public static void Equal(IReadOnlyList<float> expected, IReadOnlyList<float> actual, double rtol = 1e-5, double atol = 1e-6, string what = "values") =>
        Equal(expected.Select(v => (double)v).ToList(), actual, rtol, atol, what);

    /// <summary>Shape and values of a tensor.</summary>
    public static void Equal(int[] expectedShape, IReadOnlyList<double> expected, Tensor actual, double rtol = 1e-5, double atol = 1e-6, string what = "tensor")
    {
        Assert.True(expectedShape.SequenceEqual(actual.Shape.ToArray()), $"{what}: expected shape {Shape.Format(expectedShape)}, got {actual.Shape}");
        Equal(expected, actual.ToArray(), rtol, atol, what);
    }

    /// <summary>Exact equality of two tensors (shape and every element, bit for bit except 0 == -0).</summary>
    public static void Same(Tensor expected, Tensor actual, string what = "tensor")
    {
        Assert.True(expected.Shape == actual.Shape, $"{what}: expected shape {expected.Shape}, got {actual.Shape}");
        Equal(expected.ToArray(), actual.ToArray(), 0, 0, what);
    }

    private static string Show(IReadOnlyList<double> v) =>
        "[" + string.Join(", ", v.Take(12).Select(x => x.ToString("G6", CultureInfo.InvariantCulture))) + (v.Count > 12 ? ", ..." : "") + "]";
}
