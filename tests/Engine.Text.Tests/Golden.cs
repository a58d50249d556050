using Engine.Tests.TestUtil;

namespace Engine.Text.Tests;

/// <summary>A case of fixtures/attention (see gen_attention.py): params, inputs, outputs and gradients by key.</summary>
public sealed class Golden : IDisposable
{
    public Dictionary<string, Tensor> T { get; }
    public Golden(string file) => T = Safetensors.Load(Fixtures.PathOf(file));

    public Tensor In(string name, bool grad = false) => grad ? T["in." + name].Detach().RequiresGrad_() : T["in." + name];

    /// <summary>The params.* entries as a state dict (prefix stripped).</summary>
    public Dictionary<string, Tensor> Params() =>
        T.Where(kv => kv.Key.StartsWith("param.")).ToDictionary(kv => kv.Key["param.".Length..], kv => kv.Value);

    /// <summary>sum(out * w) over the named outputs, backpropagated.</summary>
    public void Backward(params (string Name, Tensor Y)[] outs)
    {
        Tensor? loss = null;
        foreach (var (n, y) in outs) { var l = y.Mul(T["in.w_" + n]).Sum(); loss = loss == null ? l : loss.Add(l); }
        loss!.Backward();
    }

    public void Check(string key, Tensor actual, double tol = 1e-4)
    {
        var e = T[key];
        Assert.True(e.Shape == actual.Shape, $"{key}: expected shape {e.Shape}, got {actual.Shape}");
        Approx.Equal(e.ToArray(), actual.ToArray(), tol, tol, key);
    }

    public void CheckParamGrads(Module m, double tol = 1e-4)
    {
        int n = 0;
        foreach (var (name, p) in m.NamedParameters())
        {
            Assert.True(p.Grad != null, $"parameter {name} got no gradient");
            Check("grad.param." + name, p.Grad!, tol); n++;
        }
        Assert.Equal(T.Keys.Count(k => k.StartsWith("grad.param.")), n);
    }

    public void Dispose() { foreach (var t in T.Values) t.Dispose(); }
}
