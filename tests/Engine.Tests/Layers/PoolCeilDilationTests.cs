using System.Text.Json.Serialization;
using Engine.Tests.Ilgpu;
using Xunit.Sdk;

namespace Engine.Tests.Layers;

/// <summary>
/// MaxPool2d/AvgPool2d with ceilMode and MaxPool2d with dilation against PyTorch 1.13 (fixtures/ops/pool.json, written
/// by gen_pool.py): output shapes (including the ceil-mode rule that drops a window starting in the right padding),
/// values and gradients, through the modules on the CPU, on ILGPU's CPU accelerator, and through the composed
/// gradients a backend without fused pooling kernels uses.
/// </summary>
[Collection("ilgpu")]
public class PoolCeilDilationTests
{
    private sealed record Case(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("op")] string Op,
        [property: JsonPropertyName("kernel")] int Kernel,
        [property: JsonPropertyName("stride")] int Stride,
        [property: JsonPropertyName("padding")] int Padding,
        [property: JsonPropertyName("dilation")] int Dilation,
        [property: JsonPropertyName("ceil")] bool Ceil,
        [property: JsonPropertyName("count_include_pad")] bool CountIncludePad,
        [property: JsonPropertyName("x_shape")] int[] XShape,
        [property: JsonPropertyName("y_shape")] int[] YShape,
        [property: JsonPropertyName("x")] double[] X,
        [property: JsonPropertyName("w")] double[] W,
        [property: JsonPropertyName("y")] double[] Y,
        [property: JsonPropertyName("dx")] double[] Dx);

    private sealed record File([property: JsonPropertyName("cases")] Case[] Cases);

    private static readonly Lazy<Dictionary<string, Case>> Cases =
        new(() => TestUtil.Fixtures.Read<File>("ops/pool.json").Cases.ToDictionary(c => c.Name));

    public static TheoryData<string> Names => new(TestUtil.Fixtures.Read<File>("ops/pool.json").Cases.Select(c => c.Name));

    private static Module ModuleOf(Case c) => c.Op == "max"
        ? new MaxPool2d(c.Kernel, c.Stride, c.Padding, dilation: c.Dilation, ceilMode: c.Ceil)
        : new AvgPool2d(c.Kernel, c.Stride, c.Padding, ceilMode: c.Ceil, countIncludePad: c.CountIncludePad);

    private static float[] Floats(double[] v) => v.Select(d => (float)d).ToArray();

    [Theory, MemberData(nameof(Names))]
    public void ModuleMatchesPyTorchOnTheCpu(string name) => Check(Cases.Value[name], Device.Cpu);

    [Theory, MemberData(nameof(Names))]
    public void ModuleMatchesPyTorchOnIlgpu(string name) => Check(Cases.Value[name], IlgpuTestKit.Dev);

    private static void Check(Case c, Device device)
    {
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray(Floats(c.X), c.XShape, device).RequiresGrad_();
        var y = ModuleOf(c).Forward(x);
        Assert.Equal(c.YShape, y.Shape.ToArray());
        y.Backward(Tensor.FromArray(Floats(c.W), c.YShape, device));
        Near(c, "y", c.Y, y.ToArray());
        Near(c, "dx", c.Dx, x.Grad!.ToArray());
    }

    [Theory, MemberData(nameof(Names))]
    public void ComposedGradientsMatchPyTorch(string name)
    {
        // The gradients a backend without IFusedKernels composes from scatter-add and strided views.
        var c = Cases.Value[name];
        using var scope = Tensor.Scope();
        var a = ModuleOf(c) switch { MaxPool2d m => m.Args, AvgPool2d m => m.Args, _ => throw new XunitException(c.Op) };
        var x = Tensor.FromArray(Floats(c.X), c.XShape);
        var dy = Tensor.FromArray(Floats(c.W), c.YShape);
        Tensor dx;
        if (c.Op == "max")
        {
            x.Backend.MaxPool2d(x, a, out var idx);
            dx = Engine.Functions.ComposedPoolGradients.Max(dy, idx, x.Shape);
        }
        else dx = Engine.Functions.ComposedPoolGradients.Avg(dy, x.Shape, a);
        Near(c, "composed dx", c.Dx, dx.ToArray());
    }

    private static void Near(Case c, string what, double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(expected[i] - actual[i]) <= 1e-6 + 1e-5 * Math.Abs(expected[i])))
                throw new XunitException($"{c.Name}: {what}[{i}]: torch {expected[i]:G9}, engine {actual[i]:G9}");
    }

    [Theory]
    [InlineData(5, 2, 2, 1, false, 3)]   // floor((5 + 2 - 2) / 2) + 1
    [InlineData(5, 2, 2, 1, true, 3)]    // ceil gives 4, but the 4th window would start at 6 >= L + p: dropped
    [InlineData(8, 3, 2, 0, true, 4)]    // a last window of 2 cells
    [InlineData(8, 3, 2, 0, false, 3)]
    [InlineData(6, 2, 2, 0, true, 3)]    // even: ceil changes nothing
    public void OutputLengthFollowsPyTorchsRule(int l, int k, int s, int p, bool ceil, int expected) =>
        Assert.Equal(expected, new Pool2dArgs(k, k, s, s, p, p, CeilMode: ceil).OutH(l));

    [Fact]
    public void DilationGivesTheSpanOfTheSpacedTaps() =>
        // floor((9 + 2 - 2 * 2 - 1) / 1) + 1 = 7
        Assert.Equal(7, new Pool2dArgs(3, 3, 1, 1, 1, 1, DilationH: 2, DilationW: 2).OutH(9));

    [Fact]
    public void AveragePoolingRefusesDilationByName()
    {
        var x = Tensor.Zeros(Shape.Wrap([1, 1, 8, 8]));
        var e = Assert.Throws<ArgumentException>(() => x.AvgPool2d(new Pool2dArgs(3, 3, 1, 1, DilationH: 2, DilationW: 2)));
        Assert.Contains("dilation", e.Message);
        Assert.Contains("avg_pool2d", e.Message);
        var z = Assert.Throws<ArgumentException>(() => x.MaxPool2d(new Pool2dArgs(3, 3, 1, 1, DilationH: 0, DilationW: 1)));
        Assert.Contains("dilation (0,1)", z.Message);
    }
}
