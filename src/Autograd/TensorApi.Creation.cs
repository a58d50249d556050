namespace Engine;

/// <summary>
/// The user-facing Tensor API, as C# 14 extension members on <see cref="Tensor"/>: creation,
/// math with gradients, views, indexing and operators. <c>using Engine;</c> brings it all in.
/// </summary>
public static partial class TensorApi
{
    extension(Tensor)
    {
        /// <summary>Begins a scope that disposes every tensor made inside it: <c>using var _ = Tensor.Scope();</c></summary>
        public static TensorScope Scope() => TensorScope.Begin();

        /// <summary>Turns off graph recording until disposed: <c>using (Tensor.NoGrad()) { ... }</c></summary>
        public static IDisposable NoGrad() => Autograd.NoGrad();

        public static Tensor Zeros(params int[] shape) => Full(Shape.Wrap(shape), 0f, null);
        public static Tensor Zeros(Shape shape, Device? device = null, DType dtype = DType.Float32) => Full(shape, 0f, device, dtype);
        public static Tensor Ones(params int[] shape) => Full(Shape.Wrap(shape), 1f, null);
        public static Tensor Ones(Shape shape, Device? device = null, DType dtype = DType.Float32) => Full(shape, 1f, device, dtype);

        /// <summary>A tensor of the given shape with every element set to value.</summary>
        public static Tensor Full(Shape shape, float value, Device? device = null, DType dtype = DType.Float32)
        {
            var be = (device ?? Device.Cpu).Backend;
            var t = Tensor.Create(be.Allocate(dtype, shape.Numel, zero: value == 0f), Layout.Contiguous(shape));
            if (value != 0f) be.Fill(t, value);
            return t;
        }

        /// <summary>A scalar (rank-0) tensor.</summary>
        public static Tensor Scalar(float value, Device? device = null) => Full(Shape.Scalar, value, device);

        /// <summary>[start, start+step, ...) below end.</summary>
        public static Tensor Arange(float start, float end, float step = 1f, Device? device = null)
        {
            if (step == 0 || (end - start) / step < 0) throw new ArgumentException($"arange: cannot go from {start} to {end} in steps of {step}");
            int n = (int)Math.Ceiling((end - start) / step);
            var v = new float[n];
            for (int i = 0; i < n; i++) v[i] = start + i * step;
            return FromArray(v, [n], device);
        }

        public static Tensor Arange(int n) => Arange(0, n);

        /// <summary>A float32 tensor holding a copy of data with the given shape (1-D when no shape is given).</summary>
        public static Tensor FromArray(float[] data, params int[] shape) => FromArray(data, shape, null);

        public static Tensor FromArray(float[] data, int[] shape, Device? device)
        {
            var s = shape.Length == 0 ? Shape.Wrap([data.Length]) : new Shape(shape);
            if (s.Numel != data.Length) throw new ShapeException($"from_array: {data.Length} values do not fill shape {s} ({s.Numel} elements)");
            return Tensor.Create((device ?? Device.Cpu).Backend.Upload(data), Layout.Contiguous(s));
        }

        /// <summary>An Int32 tensor (labels, indices) holding a copy of data.</summary>
        public static Tensor FromArray(int[] data, params int[] shape)
        {
            var s = shape.Length == 0 ? Shape.Wrap([data.Length]) : new Shape(shape);
            if (s.Numel != data.Length) throw new ShapeException($"from_array: {data.Length} values do not fill shape {s} ({s.Numel} elements)");
            return Tensor.Create(Device.Cpu.Backend.Upload(data), Layout.Contiguous(s));
        }

        /// <summary>A 2-D float32 tensor from a rectangular array.</summary>
        public static Tensor FromArray(float[,] data)
        {
            int r = data.GetLength(0), c = data.GetLength(1);
            var v = new float[r * c];
            Buffer.BlockCopy(data, 0, v, 0, v.Length * 4);
            return FromArray(v, r, c);
        }

        /// <summary>Uniform in [0, 1) from the engine's seeded generator.</summary>
        public static Tensor Rand(Shape shape, Generator? gen = null, Device? device = null)
        {
            var g = gen ?? Generator.Default;
            var v = new float[shape.Numel];
            for (int i = 0; i < v.Length; i++) v[i] = g.NextFloat();
            return FromArray(v, shape.ToArray(), device);
        }

        public static Tensor Rand(params int[] shape) => Rand(Shape.Wrap(shape));

        /// <summary>Standard normal from the engine's seeded generator.</summary>
        public static Tensor Randn(Shape shape, Generator? gen = null, Device? device = null)
        {
            var g = gen ?? Generator.Default;
            var v = new float[shape.Numel];
            for (int i = 0; i < v.Length; i++) v[i] = (float)g.NextGaussian();
            return FromArray(v, shape.ToArray(), device);
        }

        public static Tensor Randn(params int[] shape) => Randn(Shape.Wrap(shape));

        /// <summary>Uniform integers in [low, high) as an Int32 tensor.</summary>
        public static Tensor Randint(int low, int high, Shape shape, Generator? gen = null)
        {
            if (high <= low) throw new ArgumentException($"randint: high {high} must be greater than low {low}");
            var g = gen ?? Generator.Default;
            var v = new int[shape.Numel];
            for (int i = 0; i < v.Length; i++) v[i] = g.NextInt(low, high);
            return FromArray(v, shape.ToArray());
        }

        public static Tensor ZerosLike(Tensor t) => Full(t.Shape, 0f, t.Device, t.DType == DType.Int32 ? DType.Float32 : t.DType);
        public static Tensor OnesLike(Tensor t) => Full(t.Shape, 1f, t.Device, t.DType == DType.Int32 ? DType.Float32 : t.DType);
        public static Tensor FullLike(Tensor t, float value) => Full(t.Shape, value, t.Device, t.DType == DType.Int32 ? DType.Float32 : t.DType);

        /// <summary>Joins tensors along an existing dim.</summary>
        public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0) => Functions.Cat.Forward(tensors, dim);

        /// <summary>Joins tensors of equal shape along a new dim.</summary>
        public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
        {
            if (tensors.Count == 0) throw new ArgumentException("stack: needs at least one tensor");
            foreach (var t in tensors)
                if (t.Shape != tensors[0].Shape) throw new ShapeException($"stack: all tensors need the same shape; got {tensors[0].Shape} and {t.Shape}");
            int d = Shape.NormalizeDim(dim, tensors[0].Rank + 1, "stack");
            return Functions.Cat.Forward(tensors.Select(t => t.Unsqueeze(d)).ToList(), d);
        }

        /// <summary>cond != 0 ? a : b, broadcast; gradients flow to a and b.</summary>
        public static Tensor Where(Tensor cond, Tensor a, Tensor b) => Functions.Where.Forward(cond, a, b);

        /// <summary>The fused LSTM cell: gates [B,4H] (i,f,g,o pre-activations) and cPrev [B,H] to (h, c).</summary>
        public static (Tensor h, Tensor c) LstmCell(Tensor gates, Tensor cPrev) => Functions.LstmCell.Forward(gates, cPrev);

        /// <summary>
        /// One LSTM layer's recurrence over a whole sequence: xg [T,B,4H] (the input projections, biases included),
        /// whh [4H,H], h0 and c0 [B,H] to (hs [T,B,H], cN [B,H]), with gates_t = xg_t + h_{t-1} whh^T and the fused cell.
        /// The same values as the per-step loop; its backward computes whh's gradient as one GEMM over all steps.
        /// </summary>
        public static (Tensor hs, Tensor cN) LstmSequence(Tensor xg, Tensor whh, Tensor h0, Tensor c0) => Functions.LstmSequence.Forward(xg, whh, h0, c0);

        /// <summary>The fused GRU cell (PyTorch's formulation): xg, hg [B,3H] and hPrev [B,H] to h.</summary>
        public static Tensor GruCell(Tensor xg, Tensor hg, Tensor hPrev) => Functions.GruCell.Forward(xg, hg, hPrev);
    }
}
