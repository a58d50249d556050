using Engine.Tests.TestUtil;

namespace Engine.Tests.Tensors;

/// <summary>Every binary op broadcasts by NumPy's rules and agrees with naive index arithmetic.</summary>
public class BroadcastTests
{
    public static readonly (string name, Func<Tensor, Tensor, Tensor> op, Func<float, float, float> reference)[] Binary =
    [
        ("add", (a, b) => a.Add(b), (a, b) => a + b),
        ("sub", (a, b) => a.Sub(b), (a, b) => a - b),
        ("mul", (a, b) => a.Mul(b), (a, b) => a * b),
        ("div", (a, b) => a.Div(b), (a, b) => a / b),
        ("pow", (a, b) => a.Abs().Add(0.5f).Pow(b), (a, b) => MathF.Pow(MathF.Abs(a) + 0.5f, b)),
        ("eq", (a, b) => a.Eq(b), (a, b) => a == b ? 1 : 0),
        ("ne", (a, b) => a.Ne(b), (a, b) => a != b ? 1 : 0),
        ("lt", (a, b) => a.Lt(b), (a, b) => a < b ? 1 : 0),
        ("le", (a, b) => a.Le(b), (a, b) => a <= b ? 1 : 0),
        ("gt", (a, b) => a.Gt(b), (a, b) => a > b ? 1 : 0),
        ("ge", (a, b) => a.Ge(b), (a, b) => a >= b ? 1 : 0),
        ("where", (a, b) => Tensor.Where(a.Gt(b), a, b), (a, b) => a > b ? a : b),
    ];

    public static readonly (int[] a, int[] b, int[] y)[] Shapes =
    [
        ([2, 3], [2, 3], [2, 3]), ([2, 3], [3], [2, 3]), ([2, 3], [], [2, 3]), ([], [4], [4]), ([4, 1, 3], [2, 1], [4, 2, 3]),
        ([3, 1], [1, 4], [3, 4]), ([1], [5, 2], [5, 2]), ([2, 1, 4, 1], [3, 1, 5], [2, 3, 4, 5]), ([5, 9], [9], [5, 9]),
        ([2, 17], [2, 1], [2, 17]),   // odd inner lengths: Vector256 body plus scalar tail, both broadcast directions
    ];

    public static TheoryData<string, int> Cases()
    {
        var d = new TheoryData<string, int>();
        foreach (var (name, _, _) in Binary) for (int s = 0; s < Shapes.Length; s++) d.Add(name, s);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BinaryOpBroadcastsLikeNaiveIndexing(string name, int shapeCase)
    {
        var (_, op, reference) = Binary.Single(b => b.name == name);
        var (sa, sb, sy) = Shapes[shapeCase];
        // small integers so that eq/ne/lt... see ties
        var av = GradCheck.Values(Shape.Wrap(sa).Numel, seed: 1).Select(v => MathF.Round(v * 2) / 2).ToArray();
        var bv = GradCheck.Values(Shape.Wrap(sb).Numel, seed: 2).Select(v => MathF.Round(v * 2) / 2 + (name == "div" ? 0.25f : 0)).ToArray();
        var a = GradCheck.Make(sa, av); var b = GradCheck.Make(sb, bv);
        var y = op(a, b);
        Assert.Equal(sy, y.Shape.ToArray());
        Approx.Equal(Naive.Zip(av, a.Shape, bv, b.Shape, y.Shape, reference), y.ToArray(), 1e-6, 0, $"{name} {a.Shape} {b.Shape}");
        // and the same with the operands swapped
        var y2 = op(b, a);
        Assert.Equal(sy, y2.Shape.ToArray());
        Approx.Equal(Naive.Zip(bv, b.Shape, av, a.Shape, y2.Shape, reference), y2.ToArray(), 1e-6, 0, $"{name} {b.Shape} {a.Shape}");
    }

    [Fact]
    public void BroadcastingNonContiguousOperands()
    {
        var a = Tensor.Arange(24).Reshape(2, 3, 4).Permute(2, 0, 1);     // [4,2,3], strided
        var b = Tensor.Arange(3).Mul(10f).Reshape(1, 3);                  // [1,3]
        var y = a.Add(b);
        var expected = Naive.Zip(a.Contiguous().ToArray(), a.Shape, b.ToArray(), b.Shape, y.Shape, (p, q) => p + q);
        Approx.Equal(expected, y.ToArray(), 0, 0, "strided add");
    }

    [Fact]
    public void IncompatibleShapesNameBothShapes()
    {
        var e = Assert.Throws<ShapeException>(() => Tensor.Zeros(2, 3).Add(Tensor.Zeros(4)));
        Assert.Contains("[2,3]", e.Message.Replace(" ", ""));
        Assert.Contains("[4]", e.Message);
        Assert.Throws<ShapeException>(() => Tensor.Zeros(2, 3).Mul(Tensor.Zeros(3, 2)));
        Assert.Throws<ShapeException>(() => Tensor.Where(Tensor.Zeros(2), Tensor.Zeros(3), Tensor.Zeros(3)));
    }

    [Fact]
    public void InPlaceOpsBroadcastTheRightOperandOnly()
    {
        var x = Tensor.Zeros(2, 3);
        x.Add_(Tensor.FromArray([1f, 2, 3]));
        Assert.Equal([1f, 2, 3, 1, 2, 3], x.ToArray());
        x.Add_(Tensor.FromArray([1f, 2], 2, 1), alpha: -2f);
        Assert.Equal([-1f, 0, 1, -3, -2, -1], x.ToArray());
        var e = Assert.Throws<ShapeException>(() => Tensor.Zeros(3).Add_(Tensor.Zeros(2, 3)));
        Assert.Contains("in-place", e.Message);
        // an expanded destination overlaps itself: refused
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(3, 1).Expand(3, 4).Add_(Tensor.Ones(3, 4)));
    }
}
