using Engine.Optim.Ops;

namespace Engine.Tests.Optim;

/// <summary>The optimizer op structs: the vector path (CPU, here at 8 lanes) agrees with the scalar path (what GPU kernels run) lane by lane.</summary>
public class OptimOpsTests
{
    private static readonly float[] A = [0f, 1e-12f, 0.25f, 1f, 2.5f, 17f, 1e4f, 3e-3f, 0.5f, 9f, 1e-7f, 4f, 0.01f, 100f, 0.7f, 1.3f];
    private static readonly float[] B = [-3f, 0.5f, 1e-3f, -0.2f, 7f, -1e3f, 0f, 0.9f, -0.01f, 2f, 1e-5f, -4f, 0.3f, 5f, -0.7f, 11f];

    private static bool Same(float a, float b) => a == b || (float.IsNaN(a) && float.IsNaN(b));

    private static void Unary<T>(T op) where T : struct, IUnaryOp
    {
        for (int o = 0; o < A.Length; o += 8)
        {
            var v = op.Invoke(new V256(System.Runtime.Intrinsics.Vector256.Create(A, o))).V;
            for (int i = 0; i < 8; i++)
                Assert.True(Same(v[i], op.Invoke(A[o + i])) || Math.Abs(v[i] - op.Invoke(A[o + i])) <= 1e-6f * Math.Max(1f, Math.Abs(op.Invoke(A[o + i]))), $"{typeof(T).Name}({A[o + i]}): vector {v[i]}, scalar {op.Invoke(A[o + i])}");
        }
    }

    private static void Binary<T>(T op) where T : struct, IBinaryOp
    {
        for (int o = 0; o < A.Length; o += 8)
        {
            var v = op.Invoke(new V256(System.Runtime.Intrinsics.Vector256.Create(A, o)), new V256(System.Runtime.Intrinsics.Vector256.Create(B, o))).V;
            for (int i = 0; i < 8; i++)
            {
                float s = op.Invoke(A[o + i], B[o + i]);
                Assert.True(Same(v[i], s) || Math.Abs(v[i] - s) <= 1e-6f * Math.Max(1f, Math.Abs(s)), $"{typeof(T).Name}({A[o + i]}, {B[o + i]}): vector {v[i]}, scalar {s}");
            }
        }
    }

    [Fact]
    public void VectorPathsMatchScalarPaths()
    {
        Binary(new SquareLerpOp(0.999f, 0.001f));
        Binary(new DivideIntoOp());
        Binary(new SubSquareOp());
        Unary(new SqrtDivAddOp(0.3f, 1e-8f));
        Unary(new BoundedStepOp(1e-3f, 0.05f, 0.2f));
        Unary(new AbsPowOp(3f));
        Binary(new RpropFactorOp(0.5f, 1.2f));
    }

    [Fact]
    public void ScalarPathsComputeTheirFormulas()
    {
        Assert.Equal(0.9f * 2f + 0.1f * 9f, new SquareLerpOp(0.9f, 0.1f).Invoke(2f, 3f), 6);
        Assert.Equal(2f / 0.5f + 0.1f, new SqrtDivAddOp(0.5f, 0.1f).Invoke(4f), 6);
        Assert.Equal(3f, new DivideIntoOp().Invoke(2f, 6f));
        Assert.Equal(1f - 4f, new SubSquareOp().Invoke(1f, 2f));
        Assert.Equal(0.2f, new BoundedStepOp(1f, 0.05f, 0.2f).Invoke(1f));      // 1 clipped down
        Assert.Equal(0.05f, new BoundedStepOp(1f, 0.05f, 0.2f).Invoke(100f));   // 0.01 clipped up
        Assert.Equal(0.1f, new BoundedStepOp(1f, 0.05f, 0.2f).Invoke(10f), 6);  // inside
        Assert.Equal(8f, new AbsPowOp(3f).Invoke(-2f), 5);
        Assert.Equal(1.2f, new RpropFactorOp(0.5f, 1.2f).Invoke(-2f, -3f));   // same sign: grow
        Assert.Equal(0.5f, new RpropFactorOp(0.5f, 1.2f).Invoke(2f, -3f));    // flipped: shrink
        Assert.Equal(1f, new RpropFactorOp(0.5f, 1.2f).Invoke(0f, -3f));      // a zero gradient: keep
    }
}
