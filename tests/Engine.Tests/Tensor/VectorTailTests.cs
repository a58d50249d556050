using Engine.Tests.TestUtil;

namespace Engine.Tests.Tensors;

/// <summary>
/// Each elementwise op has a Vector256 body and a scalar tail. Both must compute the same function:
/// on a tensor of 9 equal values, element 0 (vector) and element 8 (scalar) must agree, and both must be
/// accurate to float32 precision against float64 (relative 1e-5 where the function is well conditioned).
/// </summary>
public class VectorTailTests
{
    public static readonly (string name, Func<Tensor, Tensor> op, Func<double, double> reference)[] Unary =
    [
        ("exp", t => t.Exp(), Math.Exp),
        ("log", t => t.Abs().Log(), v => Math.Log(Math.Abs(v))),
        ("sqrt", t => t.Abs().Sqrt(), v => Math.Sqrt(Math.Abs(v))),
        ("tanh", t => t.Tanh(), Math.Tanh),
        ("sigmoid", t => t.Sigmoid(), v => 1 / (1 + Math.Exp(-v))),
        ("gelu", t => t.Gelu(), v => 0.5 * v * (1 + Erf(v / Math.Sqrt(2)))),
        ("pow-1.5", t => t.Abs().Pow(-1.5f), v => Math.Pow(Math.Abs(v), -1.5)),
        ("pow-1", t => t.Abs().Pow(-1f), v => 1 / Math.Abs(v)),
        ("leaky_relu", t => t.LeakyRelu(0.2f), v => v > 0 ? v : 0.2 * v),
    ];

    public static readonly double[] Points = [1e-7, -3e-6, 1e-4, -0.01, 0.3, -0.6, 0.7, 1.5, -2.5, 4, -9, 15];

    public static TheoryData<string> Names() => new(Unary.Select(u => u.name));

    [Theory]
    [MemberData(nameof(Names))]
    public void VectorBodyAndScalarTailAgreeAndAreAccurate(string name)
    {
        var (_, op, reference) = Unary.Single(u => u.name == name);
        foreach (var p in Points)
        {
            var y = op(Tensor.Full(Shape.Wrap([9]), (float)p)).ToArray();
            double expected = reference((float)p);
            // gelu uses an erf approximation with absolute error ~1.5e-7: allow that much absolutely
            double atol = name == "gelu" ? 3e-7 * Math.Abs(p) + 1e-12 : 1e-30;
            Approx.Equal([expected], [y[0]], 1e-5, atol, $"{name}({p}) vector body");
            Approx.Equal([expected], [y[8]], 1e-5, atol, $"{name}({p}) scalar tail");
        }
    }

    /// <summary>erf by its Taylor series (|x| &lt; 3) or the continued fraction of erfc, in float64.</summary>
    private static double Erf(double x)
    {
        if (Math.Abs(x) > 3) return Math.Sign(x) * (1 - Erfc(Math.Abs(x)));
        double sum = x, term = x;
        for (int n = 1; n < 100; n++) { term *= -x * x / n; sum += term / (2 * n + 1); }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    private static double Erfc(double x)
    {
        double f = 0;
        for (int n = 60; n >= 1; n--) f = n / 2.0 / (x + f);
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / (x + f);
    }
}
