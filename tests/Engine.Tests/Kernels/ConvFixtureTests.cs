using System.Text.Json;

namespace Engine.Tests.Kernels;

// Conv2d through autograd (the fast kernels underneath) against PyTorch's values and gradients
// (fixtures/kernels/conv_cases.json, made by gen_conv.py beside it): loss = sum(y * g).
public class ConvFixtureTests
{
    public static TheoryData<string> Names()
    {
        var d = new TheoryData<string>();
        foreach (var c in Load().EnumerateArray()) d.Add(c.GetProperty("name").GetString()!);
        return d;
    }

    private static JsonElement Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "fixtures", "kernels", "conv_cases.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    }

    private static float[] F(JsonElement c, string key) => c.GetProperty(key).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
    private static int[] I(JsonElement c, string key) => c.GetProperty(key).EnumerateArray().Select(v => v.GetInt32()).ToArray();

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesPyTorch(string name)
    {
        var c = Load().EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        int[] st = I(c, "stride"), pad = I(c, "padding"), dil = I(c, "dilation");
        var args = new Conv2dArgs(st[0], st[1], pad[0], pad[1], dil[0], dil[1], c.GetProperty("groups").GetInt32());
        var x = Tensor.FromArray(F(c, "x"), I(c, "x_shape")).RequiresGrad_();
        var w = Tensor.FromArray(F(c, "w"), I(c, "w_shape")).RequiresGrad_();
        var b = Tensor.FromArray(F(c, "b"), I(c, "w_shape")[0]).RequiresGrad_();
        var y = x.Conv2d(w, b, args);
        Assert.Equal(I(c, "y_shape"), y.Shape.ToArray());
        KernelAssert.Close(F(c, "y"), y.ToArray(), 1e-4f, $"{name} y");
        (y * Tensor.FromArray(F(c, "g"), I(c, "y_shape"))).Sum().Backward();
        KernelAssert.Close(F(c, "dx"), x.Grad!.ToArray(), 1e-4f, $"{name} dx");
        KernelAssert.Close(F(c, "dw"), w.Grad!.ToArray(), 1e-4f, $"{name} dw");
        KernelAssert.Close(F(c, "db"), b.Grad!.ToArray(), 1e-4f, $"{name} db");
    }
}
