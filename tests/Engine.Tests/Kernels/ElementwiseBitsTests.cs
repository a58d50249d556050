using Engine.Kernels.Ops;
using Engine.Tests.TestUtil;

namespace Engine.Tests.Kernels;

// Every elementwise op struct gives the same bits for the same input wherever it sits (ElementwiseOps), and follows
// PyTorch on NaN and signed zeros. The ILGPU twin of these tests is Ilgpu/ElementwiseBitsTests.
public class ElementwiseBitsTests
{
    [Fact]
    public void EveryUnaryOpGivesTheSameBitsAtEveryPosition() => ElementwiseOps.CheckUnary(Device.Cpu);

    [Fact]
    public void EveryBinaryOpGivesTheSameBitsAtEveryPosition() => ElementwiseOps.CheckBinary(Device.Cpu);

    [Fact]
    public void NaNAndSignedZerosFollowPyTorch()
    {
        foreach (var level in CpuSettings.SupportedLevels)
            using (CpuSettings.UseSimd(level)) PyTorchSpecials.Check(Device.Cpu);
    }

    [Fact]
    public void EveryOpGivesTheSameBitsAtEveryWidth() => ElementwiseOps.CheckWidthsAgree();

    [Fact]
    public void AWidthTheMachineLacksIsRefused()
    {
        var beyond = (SimdLevel)((int)CpuSettings.BestSupported + 1);   // Avx512 on an AVX2 machine; past the enum here
        var e = Assert.Throws<NotSupportedException>(() => CpuSettings.UseSimd(beyond));
        Assert.Contains("support up to", e.Message);
        Assert.Throws<NotSupportedException>(() => CpuSettings.Simd = beyond);
    }

    [Fact]
    public void ReluOfNineNaNsIsNineNaNs()
    {
        var y = Tensor.FromArray(Enumerable.Repeat(float.NaN, 9).ToArray(), 9).Relu().ToArray();
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void TanhOfNineEqualInputsIsNineEqualOutputs()
    {
        var y = Tensor.FromArray(Enumerable.Repeat(0.7f, 9).ToArray(), 9).Tanh().ToArray();
        Assert.All(y, v => Assert.Equal(BitConverter.SingleToInt32Bits(y[0]), BitConverter.SingleToInt32Bits(v)));
        Assert.Equal(MathF.Tanh(0.7f), y[0], 6);
    }
}

/// <summary>
/// PyTorch 1.13's results on NaN and signed zeros (printed by /usr/bin/python3 with torch: relu, sign, clamp(0, 1),
/// maximum and minimum with 0, leaky_relu(0.1), pow(x, -1) of [nan, -0.0, 0.0, 1.0, -1.0]).
/// </summary>
public static class PyTorchSpecials
{
    private static readonly float[] X = [float.NaN, -0f, 0f, 1f, -1f];

    private static Tensor Zeros(Tensor x) => Tensor.Zeros(x.Shape.ToArray(), x.Device);

    private static readonly (string Name, Func<Tensor, Tensor> F, float[] Want)[] Cases =
    [
        ("relu", x => x.Relu(), [float.NaN, -0f, 0f, 1f, 0f]),
        ("sign", x => x.Map(new SignOp()), [0f, 0f, 0f, 1f, -1f]),
        ("clamp(0, 1)", x => x.Clamp(0f, 1f), [float.NaN, -0f, 0f, 1f, 0f]),
        ("maximum(x, 0)", x => x.Backend.Zip(x, Zeros(x), new MaximumOp()), [float.NaN, -0f, 0f, 1f, 0f]),
        ("maximum(0, x)", x => x.Backend.Zip(Zeros(x), x, new MaximumOp()), [float.NaN, 0f, 0f, 1f, 0f]),
        ("minimum(x, 0)", x => x.Backend.Zip(x, Zeros(x), new MinimumOp()), [float.NaN, -0f, 0f, 0f, -1f]),
        ("leaky_relu(0.1)", x => x.LeakyRelu(0.1f), [float.NaN, -0f, 0f, 1f, -0.1f]),
        ("pow(x, -1)", x => x.Pow(-1f), [float.NaN, float.NegativeInfinity, float.PositiveInfinity, 1f, -1f]),
    ];

    /// <summary>Each case on the 5 values alone (a partial vector) and repeated 5 times (25: vectors and a tail).</summary>
    public static void Check(Device d)
    {
        foreach (int reps in new[] { 1, 5 })
        {
            var xs = Enumerable.Range(0, reps * X.Length).Select(i => X[i % X.Length]).ToArray();
            var x = Tensor.FromArray(xs, [xs.Length], d);
            foreach (var (name, f, want) in Cases)
            {
                var y = f(x).ToArray();
                for (int i = 0; i < y.Length; i++)
                {
                    float w = want[i % want.Length];
                    Assert.True(BitConverter.SingleToInt32Bits(y[i]) == BitConverter.SingleToInt32Bits(w) || (float.IsNaN(y[i]) && float.IsNaN(w)),
                        $"{name} on {d} of {xs[i]} (element {i} of {y.Length}): got {y[i]} (0x{BitConverter.SingleToInt32Bits(y[i]):x8}), PyTorch gives {w}");
                }
            }
        }
    }
}
