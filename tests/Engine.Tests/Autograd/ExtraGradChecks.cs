using Engine.Tests.TestUtil;

namespace Engine.Tests.Autograd;

/// <summary>Finite-difference checks for cases PyTorch 1.13 cannot produce or that need special inputs.</summary>
public class ExtraGradChecks
{
    [Fact]
    public void ScatterAddWithASourceLargerThanTheIndex()
    {
        // PyTorch's forward allows src larger than index (only the leading corner is used); 1.13's backward rejects it.
        var index = Tensor.FromArray([1, 0, 2, 2], 2, 2);
        GradCheck.Check(x => x[0].ScatterAdd(1, index, x[1]),
            [([2, 4], GradCheck.Values(8, seed: 1)), ([2, 3], GradCheck.Values(6, seed: 2))], what: "scatter_add, src [2,3], index [2,2]");
    }

    [Fact]
    public void MaxWithTiesSharesTheGradient()
    {
        // Finite differences are undefined at a tie; check the rule directly: each tied element gets dy / count.
        var x = Tensor.FromArray([2f, 5, 5, 1, 5, 0], 2, 3).RequiresGrad_();
        x.Max().Backward();
        Assert.Equal([0f, 1f / 3, 1f / 3, 0, 1f / 3, 0], x.Grad!.ToArray());
    }

    [Fact]
    public void LongerChainsOfOps()
    {
        // A small MLP-like expression: every op's backward composes with the others.
        GradCheck.Check(x => x[0].Matmul(x[1]).Add(x[2]).Tanh().Mul(x[0].Sum(1, keepDim: true)).LogSoftmax(-1).Select(1, 0),
            [([3, 4], GradCheck.Values(12, -1, 1, 3)), ([4, 2], GradCheck.Values(8, -1, 1, 4)), ([2], GradCheck.Values(2, -1, 1, 5))],
            what: "chain");
        // the same leaf reached through a view and directly
        GradCheck.Check(x => x[0].T.Matmul(x[0]).Sigmoid().Sum(0),
            [([3, 2], GradCheck.Values(6, -1, 1, 6))], what: "x^T x");
    }

    [Fact]
    public void MatmulWithTransposedOperands()
    {
        // A transposed 2-D operand gets its gradient computed transposed ((dy^T a)^T): check every combination.
        var a = GradCheck.Values(12, -1, 1, 21); var b = GradCheck.Values(20, -1, 1, 22);
        GradCheck.Check(x => x[0].Matmul(x[1].T), [([3, 4], a), ([5, 4], b)], what: "a @ b^T");
        GradCheck.Check(x => x[0].T.Matmul(x[1]), [([4, 3], a), ([4, 5], b)], what: "a^T @ b");
        GradCheck.Check(x => x[0].T.Matmul(x[1].T), [([4, 3], a), ([5, 4], b)], what: "a^T @ b^T");
        GradCheck.Check(x => x[0].Mul(2f).Matmul(x[1].Mul(0.5f).T).Tanh(), [([3, 4], a), ([5, 4], b)], what: "non-leaf a @ b^T");
    }

    [Fact]
    public void GradCheckCatchesAWrongGradient()
    {
        // The checker itself must fail on a gradient that is off: relu(x) * 1.0 with a detached factor
        // that changes with x makes the analytic gradient miss a term.
        var e = Assert.ThrowsAny<Exception>(() => GradCheck.Check(x => x[0].Mul(x[0].Detach()),
            [([3], [0.5f, -1f, 2f])], what: "x * detach(x)"));
        Assert.Contains("finite difference", e.Message);
    }
}
