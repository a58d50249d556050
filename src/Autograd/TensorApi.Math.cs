using Engine.Functions;
using Engine.Kernels.Ops;

namespace Engine;

public static partial class TensorApi
{
    extension(Tensor x)
    {
        public Tensor Add(Tensor other) => Functions.Add.Forward(x, other);
        public Tensor Add(float s) => Affine.Forward(x, 1f, s);
        public Tensor Sub(Tensor other) => Functions.Sub.Forward(x, other);
        public Tensor Sub(float s) => Affine.Forward(x, 1f, -s);
        public Tensor Mul(Tensor other) => Functions.Mul.Forward(x, other);
        public Tensor Mul(float s) => Affine.Forward(x, s, 0f);
        public Tensor Div(Tensor other) => Functions.Div.Forward(x, other);
        public Tensor Div(float s) => Affine.Forward(x, 1f / s, 0f);
        public Tensor Neg() => Functions.Neg.Forward(x);
        public Tensor Pow(float p) => PowScalar.Forward(x, p);
        public Tensor Pow(Tensor p) => Functions.Pow.Forward(x, p);
        public Tensor Square() => PowScalar.Forward(x, 2f);
        public Tensor Exp() => Functions.Exp.Forward(x);
        public Tensor Log() => Functions.Log.Forward(x);
        public Tensor Sqrt() => Functions.Sqrt.Forward(x);
        public Tensor Abs() => Functions.Abs.Forward(x);
        public Tensor Clamp(float min = float.NegativeInfinity, float max = float.PositiveInfinity) => Functions.Clamp.Forward(x, min, max);
        public Tensor Relu() => Functions.Relu.Forward(x);
        public Tensor LeakyRelu(float negativeSlope = 0.01f) => Functions.LeakyRelu.Forward(x, negativeSlope);
        public Tensor Sigmoid() => Functions.Sigmoid.Forward(x);
        public Tensor Tanh() => Functions.Tanh.Forward(x);
        public Tensor Gelu() => Functions.Gelu.Forward(x);
        /// <summary>clamp(x, min, max) with PyTorch's hardtanh gradient: zero at the bounds.</summary>
        public Tensor Hardtanh(float min = -1f, float max = 1f) => min > max
            ? throw new ArgumentException($"hardtanh: min {min} is greater than max {max}")
            : PointwiseActivation<ClampOp, HardtanhGradOp>.Forward("Hardtanh", x, new ClampOp(min, max), new HardtanhGradOp(min, max));
        /// <summary>min(max(x, 0), 6): hardtanh(x, 0, 6).</summary>
        public Tensor Relu6() => PointwiseActivation<ClampOp, HardtanhGradOp>.Forward("Relu6", x, new ClampOp(0f, 6f), new HardtanhGradOp(0f, 6f));
        /// <summary>min(max(x + 3, 0), 6) / 6.</summary>
        public Tensor Hardsigmoid() => PointwiseActivation<HardsigmoidOp, HardsigmoidGradOp>.Forward("Hardsigmoid", x, default, default);
        /// <summary>x * min(max(x + 3, 0), 6) / 6.</summary>
        public Tensor Hardswish() => PointwiseActivation<HardswishOp, HardswishGradOp>.Forward("Hardswish", x, default, default);
        /// <summary>x * sigmoid(x) (swish).</summary>
        public Tensor Silu() => PointwiseActivation<SiluOp, SiluGradOp>.Forward("Silu", x, default, default);
        public Tensor Softmax(int dim = -1) => Functions.Softmax.Forward(x, dim);
        public Tensor LogSoftmax(int dim = -1) => Functions.LogSoftmax.Forward(x, dim);

        /// <summary>Matrix product with PyTorch's matmul rules: 1-D operands are promoted and squeezed back, batch dims broadcast.</summary>
        public Tensor Matmul(Tensor other)
        {
            if (x.Rank == 0 || other.Rank == 0) throw new ShapeException($"matmul: both arguments need at least 1 dim, got {x.Shape} x {other.Shape}");
            if (x.Rank == 1 && other.Rank == 1)
            {
                if (x.Shape[0] != other.Shape[0]) throw new ShapeException($"matmul: {x.Shape} x {other.Shape}: inner dimensions {x.Shape[0]} and {other.Shape[0]} differ");
                return Functions.Matmul.Forward(x.Unsqueeze(0), other.Unsqueeze(1)).Reshape();
            }
            if (x.Rank == 1) return Functions.Matmul.Forward(x.Unsqueeze(0), other).Squeeze(-2);
            if (other.Rank == 1) return Functions.Matmul.Forward(x, other.Unsqueeze(1)).Squeeze(-1);
            if (x.Rank > 2 && other.Rank == 2 && x.Shape[^1] == other.Shape[0] && FoldRows(x) is Tensor rows)
            {
                // [..., M, K] @ [K, N] as one [(... M), K] @ [K, N] GEMM, as PyTorch's matmul folds it: a Linear on
                // [N, L, E] is then one product over all rows, and its weight gradient one product with K = N*L
                // instead of N products summed afterwards (issue 16: 8 x [512 x 1536] partials per projection).
                var shape = x.Shape.ToArray();
                shape[^1] = other.Shape[1];
                return Functions.Matmul.Forward(rows, other).Reshape(shape);
            }
            return Functions.Matmul.Forward(x, other);
        }


        // ---- comparisons: 0/1 float masks, never differentiable ----
        public Tensor Eq(Tensor o) => Compare(x, o, Kernels.Ops.Compare.Eq);
        public Tensor Ne(Tensor o) => Compare(x, o, Kernels.Ops.Compare.Ne);
        public Tensor Lt(Tensor o) => Compare(x, o, Kernels.Ops.Compare.Lt);
        public Tensor Le(Tensor o) => Compare(x, o, Kernels.Ops.Compare.Le);
        public Tensor Gt(Tensor o) => Compare(x, o, Kernels.Ops.Compare.Gt);
        public Tensor Ge(Tensor o) => Compare(x, o, Kernels.Ops.Compare.Ge);
        public Tensor Eq(float v) => Compare(x, Tensor.Scalar(v, x.Device), Kernels.Ops.Compare.Eq);
        public Tensor Ne(float v) => Compare(x, Tensor.Scalar(v, x.Device), Kernels.Ops.Compare.Ne);
        public Tensor Lt(float v) => Compare(x, Tensor.Scalar(v, x.Device), Kernels.Ops.Compare.Lt);
        public Tensor Le(float v) => Compare(x, Tensor.Scalar(v, x.Device), Kernels.Ops.Compare.Le);
        public Tensor Gt(float v) => Compare(x, Tensor.Scalar(v, x.Device), Kernels.Ops.Compare.Gt);
        public Tensor Ge(float v) => Compare(x, Tensor.Scalar(v, x.Device), Kernels.Ops.Compare.Ge);

        /// <summary>Applies any elementwise op struct without gradient (for custom kernels and optimizer math).</summary>
        public Tensor Map<TOp>(TOp op) where TOp : struct, IUnaryOp => x.Backend.Map(x, op);

        // ---- operators ----
        public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
        public static Tensor operator +(Tensor a, float b) => a.Add(b);
        public static Tensor operator +(float a, Tensor b) => b.Add(a);
        public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
        public static Tensor operator -(Tensor a, float b) => a.Sub(b);
        public static Tensor operator -(float a, Tensor b) => Affine.Forward(b, -1f, a);
        public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
        public static Tensor operator *(Tensor a, float b) => a.Mul(b);
        public static Tensor operator *(float a, Tensor b) => b.Mul(a);
        public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
        public static Tensor operator /(Tensor a, float b) => a.Div(b);
        public static Tensor operator /(float a, Tensor b) => Tensor.Scalar(a, b.Device).Div(b);
        public static Tensor operator -(Tensor a) => a.Neg();
    }

    private static Tensor Compare(Tensor a, Tensor b, Compare kind)
    {
        Check.SameDevice(a, b, "compare");
        return a.Backend.Zip(a, b, new CompareOp(kind));
    }

    /// <summary>t [..., K] as a [rows, K] view when its strides allow (no copy), else null.</summary>
    private static Tensor? FoldRows(Tensor t)
    {
        int K = t.Shape[^1];
        if (t.Numel == 0 || K == 0) return null;
        var s = Shape.Wrap([t.Numel / K, K]);
        return t.Layout.TryView(s) is Layout l ? Functions.Reshape.Forward(t, l, "Reshape") : null;
    }
}
