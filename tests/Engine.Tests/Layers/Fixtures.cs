using System.Text.Json;

namespace Engine.Tests.Layers;

/// <summary>Reads the PyTorch golden files under fixtures/layers (made by fixtures/layers/generate.py).</summary>
internal static class Fixtures
{
    private static readonly Dictionary<string, JsonElement> Cache = new();

    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "fixtures", "layers", file);

    public static JsonElement File(string file)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(file, out var e))
                Cache[file] = e = JsonDocument.Parse(System.IO.File.ReadAllText(PathOf(file))).RootElement;
            return e;
        }
    }

    public static JsonElement Case(string file, string name) => File(file).GetProperty(name);

    public static IEnumerable<object[]> CaseNames(string file, string? prefix = null) =>
        File(file).EnumerateObject().Where(p => prefix == null || p.Name.StartsWith(prefix, StringComparison.Ordinal)).Select(p => new object[] { p.Name });

    /// <summary>{"shape": [...], "data": [...], "dtype"?: "int32"} to a tensor (Int32 when so marked).</summary>
    public static Tensor Tensor(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var data = e.GetProperty("data");
        bool isInt = e.TryGetProperty("dtype", out var dt) && dt.GetString() == "int32";
        if (isInt)
        {
            var v = data.EnumerateArray().Select(x => x.GetInt32()).ToArray();
            return shape.Length == 0 ? Engine.Tensor.FromArray(v, 1).Reshape() : Engine.Tensor.FromArray(v, shape);
        }
        var f = data.EnumerateArray().Select(x => (float)x.GetDouble()).ToArray();
        return shape.Length == 0 ? Engine.Tensor.Scalar(f[0]) : Engine.Tensor.FromArray(f, shape);
    }

    public static Dictionary<string, Tensor> Dict(JsonElement e) =>
        e.EnumerateObject().ToDictionary(p => p.Name, p => Tensor(p.Value));
}

internal static class Close
{
    /// <summary>|a - e| &lt;= atol + rtol |e| elementwise, with a message naming the first bad element.</summary>
    public static void Assert(Tensor expected, Tensor actual, string what, float atol = 1e-4f, float rtol = 1e-4f)
    {
        if (expected.Shape != actual.Shape) throw new Xunit.Sdk.XunitException($"{what}: shape {actual.Shape}, expected {expected.Shape}");
        Assert(expected.ToArray(), actual.ToArray(), what, atol, rtol);
    }

    public static void Assert(float[] e, float[] a, string what, float atol = 1e-4f, float rtol = 1e-4f)
    {
        if (e.Length != a.Length) throw new Xunit.Sdk.XunitException($"{what}: {a.Length} values, expected {e.Length}");
        for (int i = 0; i < e.Length; i++)
            if (!(Math.Abs(a[i] - e[i]) <= atol + rtol * Math.Abs(e[i])))
                throw new Xunit.Sdk.XunitException($"{what}: element {i} is {a[i]}, expected {e[i]} (atol {atol}, rtol {rtol})");
    }
}

/// <summary>Central finite differences against autograd, on a sample of elements (float32: h = 1e-2).</summary>
internal static class GradCheck
{
    public static void Run(Func<Tensor> loss, Tensor[] wrt, string what, int samples = 12, float h = 1e-2f, float atol = 2e-3f, float rtol = 2e-2f)
    {
        foreach (var t in wrt) t.ZeroGrad();
        loss().Backward();
        var rng = new Random(17);
        for (int k = 0; k < wrt.Length; k++)
        {
            var t = wrt[k];
            var analytic = t.Grad!.ToArray();
            var idx = Enumerable.Range(0, t.Numel).OrderBy(_ => rng.Next()).Take(samples).ToArray();
            foreach (var i in idx)
            {
                float num = (Eval(loss, t, i, h) - Eval(loss, t, i, -h)) / (2 * h);
                if (!(Math.Abs(num - analytic[i]) <= atol + rtol * Math.Abs(num)))
                    throw new Xunit.Sdk.XunitException($"{what}: d/d input {k} element {i}: autograd {analytic[i]}, finite difference {num}");
            }
        }
    }

    private static float Eval(Func<Tensor> loss, Tensor t, int i, float delta)
    {
        using var _ = Tensor.NoGrad();
        var v = t.ToArray();
        float old = v[i];
        v[i] = old + delta;
        t.Copy_(Tensor.FromArray(v, t.Shape.ToArray()));
        float r = loss().Item();
        v[i] = old;
        t.Copy_(Tensor.FromArray(v, t.Shape.ToArray()));
        return r;
    }
}
