using Engine.Tests.TestUtil;

namespace Engine.Tests.Autograd;

/// <summary>
/// Forward and backward of every differentiable op against PyTorch 1.13 (float64 references from
/// fixtures/ops/gen_ops.py), plus a finite-difference check of the same cases.
/// </summary>
public class FixtureTests
{
    public static TheoryData<string> Cases() => new(Fixtures.Ops.Keys.Order());

    /// <summary>Cases whose inputs are too large for float32 finite differences (ulp(1e4) ~ 1e-3 ~ h).</summary>
    private static bool NoFiniteDifferences(OpCase c) => c.Name.Contains("extreme");

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackwardMatchPyTorch(string name)
    {
        var c = Fixtures.Ops[name];
        using var _ = Tensor.Scope();
        var xs = c.Inputs.Select(i => i.ToTensor().RequiresGrad_()).ToArray();
        var y = OpTable.Run(c, xs);
        // float32 vs float64 reference: a few ulps of the result, plus an absolute floor for values near 0.
        Approx.Equal(c.Out.Shape, c.Out.Data, y, rtol: 2e-5, atol: 2e-5, what: $"{name} forward");
        y.Backward(new FixtureTensor(c.Out.Shape, c.Upstream).ToTensor());
        for (int k = 0; k < xs.Length; k++)
        {
            var g = xs[k].Grad ?? throw new Xunit.Sdk.XunitException($"{name}: input {k} got no gradient");
            Approx.Equal(c.Grads[k].Shape, c.Grads[k].Data, g, rtol: 1e-4, atol: 5e-5, what: $"{name} gradient of input {k}");
        }
    }

    public static TheoryData<string> MatrixCases() => new(Fixtures.Ops.Values.Where(c => c.Inputs.All(i => i.Shape.Length == 2 && i.Shape[0] > 1 && i.Shape[1] > 1)).Select(c => c.Name).Order());

    /// <summary>
    /// The same cases with every 2-D input given as a transposed view (strides [1, rows]) of a leaf holding
    /// the transposed data: the kernels' strided paths, and gradients flowing back through the view.
    /// </summary>
    [Theory]
    [MemberData(nameof(MatrixCases))]
    public void StridedInputsGiveTheSameResults(string name)
    {
        var c = Fixtures.Ops[name];
        using var _ = Tensor.Scope();
        var leaves = c.Inputs.Select(i => i.ToTensor().T.Contiguous().RequiresGrad_()).ToArray();   // [cols, rows], contiguous
        var xs = leaves.Select(l => l.T).ToArray();                                                  // [rows, cols], strided
        Assert.All(xs, x => Assert.False(x.IsContiguous));
        var y = OpTable.Run(c, xs);
        Approx.Equal(c.Out.Shape, c.Out.Data, y, rtol: 2e-5, atol: 2e-5, what: $"{name} forward (strided inputs)");
        y.Backward(new FixtureTensor(c.Out.Shape, c.Upstream).ToTensor());
        for (int k = 0; k < xs.Length; k++)
            Approx.Equal(c.Grads[k].Shape, c.Grads[k].Data, leaves[k].Grad!.T, rtol: 1e-4, atol: 5e-5, what: $"{name} gradient of input {k} (strided)");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientMatchesFiniteDifferences(string name)
    {
        var c = Fixtures.Ops[name];
        if (NoFiniteDifferences(c)) return;
        GradCheck.Check(x => OpTable.Run(c, x), c.Inputs.Select(i => (i.Shape, i.Floats)).ToArray(), c.Upstream, what: name);
    }

    [Fact]
    public void EveryOpOfTheIssueHasAFixture()
    {
        // The ops issue 2 lists as differentiable; each must appear in ops.json (and so in both theories above).
        string[] required = ["add", "sub", "mul", "div", "neg", "pow", "pow_scalar", "exp", "log", "sqrt", "abs", "clamp", "relu",
            "leaky_relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax", "sum", "mean", "max", "min", "var", "matmul",
            "view", "reshape", "permute", "transpose", "narrow", "slice", "select", "expand", "squeeze", "unsqueeze", "flatten",
            "cat", "stack", "split", "chunk", "index_select", "gather", "scatter_add", "where"];
        var have = Fixtures.Ops.Values.Select(c => c.Op).ToHashSet();
        var missing = required.Where(r => !have.Contains(r)).ToList();
        Assert.True(missing.Count == 0, $"ops without a fixture: {string.Join(", ", missing)}");
        var unmapped = have.Where(o => !OpTable.Ops.ContainsKey(o)).ToList();
        Assert.True(unmapped.Count == 0, $"fixture ops without an OpTable entry: {string.Join(", ", unmapped)}");
    }
}
