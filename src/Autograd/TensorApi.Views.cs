using Engine.Functions;

namespace Engine;

// View ops: each returns a tensor over the same storage (no copy) with a gradient that maps back.
public static partial class TensorApi
{
    extension(Tensor x)
    {
        /// <summary>A view with a new shape (one dim may be -1). Fails when the strides cannot express it; use Reshape.</summary>
        public Tensor View(params int[] shape)
        {
            var s = Layout.InferShape(shape, x.Numel, x.Shape, "view");
            var l = x.Layout.TryView(s) ?? throw new ShapeException($"view: shape {s} is not compatible with the strides of input {x.Layout}; call Reshape (which copies) or Contiguous() first");
            return Functions.Reshape.Forward(x, l, "View");
        }

        /// <summary>A view with a new shape when the strides allow it, else a contiguous copy reshaped.</summary>
        public Tensor Reshape(params int[] shape)
        {
            var s = Layout.InferShape(shape, x.Numel, x.Shape, "reshape");
            if (s == x.Shape) return x;
            var l = x.Layout.TryView(s);
            return l != null ? Functions.Reshape.Forward(x, l, "Reshape") : Functions.Reshape.Forward(x.Contiguous(), Layout.Contiguous(s), "Reshape");
        }

        /// <summary>Merges dims startDim..endDim into one.</summary>
        public Tensor Flatten(int startDim = 0, int endDim = -1)
        {
            if (x.Rank == 0) return x.Reshape(1);
            int s = x.Shape.Dim(startDim, "flatten"), e = x.Shape.Dim(endDim, "flatten");
            if (s > e) throw new ArgumentException($"flatten: start dim {s} comes after end dim {e}");
            var shape = new List<int>();
            for (int d = 0; d < s; d++) shape.Add(x.Shape[d]);
            int m = 1;
            for (int d = s; d <= e; d++) m *= x.Shape[d];
            shape.Add(m);
            for (int d = e + 1; d < x.Rank; d++) shape.Add(x.Shape[d]);
            return x.Reshape(shape.ToArray());
        }

        public Tensor Permute(params int[] dims) => Functions.Permute.Forward(x, dims, "permute");

        public Tensor Transpose(int dim0, int dim1)
        {
            int a = x.Shape.Dim(dim0, "transpose"), b = x.Shape.Dim(dim1, "transpose");
            var p = Enumerable.Range(0, x.Rank).ToArray();
            (p[a], p[b]) = (p[b], p[a]);
            return Functions.Permute.Forward(x, p, "transpose");
        }

        /// <summary>Transpose of a 2-D tensor.</summary>
        public Tensor T => x.Rank == 2 ? x.Transpose(0, 1) : throw new ShapeException($"T: expects a 2-D tensor, got {x.Shape}; use Transpose or Permute");

        /// <summary>length elements of dim starting at start.</summary>
        public Tensor Narrow(int dim, int start, int length) => SubView.Forward(x, l => l.Narrow(dim, start, length), "Narrow");

        /// <summary>Elements start, start+step, ... below end along dim (Python's x[start:end:step]); bounds are clamped.</summary>
        public Tensor Slice(int dim, int start, int end, int step = 1) => SubView.Forward(x, l => l.Slice(dim, start, end, step), "Slice");

        /// <summary>The slice at index along dim, with that dim removed (x[..., index, ...]).</summary>
        public Tensor Select(int dim, int index)
        {
            int d = x.Shape.Dim(dim, "select"), n = x.Shape[d];
            if (index < -n || index >= n) throw new IndexOutOfRangeException($"select: index {index} is out of range [{-n}, {n - 1}] for dim {d} of size {n}");
            if (index < 0) index += n;
            return SubView.Forward(x, l => l.Narrow(d, index, 1).Squeeze(d), "Select");
        }

        /// <summary>Broadcasts to a larger shape (-1 keeps a size) without copying.</summary>
        public Tensor Expand(params int[] shape)
        {
            var s = (int[])shape.Clone();
            int lead = s.Length - x.Rank;
            for (int i = 0; i < s.Length; i++)
                if (s[i] == -1)
                {
                    if (i < lead) throw new ShapeException($"expand: -1 is not allowed for the new leading dim {i} (shape {Shape.Format(shape)})");
                    s[i] = x.Shape[i - lead];
                }
            var target = new Shape(s);
            return target == x.Shape ? x : Functions.Expand.Forward(x, target);
        }

        public Tensor ExpandAs(Tensor other) => x.Expand(other.Shape.ToArray());

        public Tensor Unsqueeze(int dim) => Functions.Reshape.Forward(x, x.Layout.Unsqueeze(dim), "Unsqueeze");

        /// <summary>Removes size-1 dims (all of them, or only dim when it has size 1).</summary>
        public Tensor Squeeze(int? dim = null) => Functions.Reshape.Forward(x, x.Layout.Squeeze(dim), "Squeeze");

        /// <summary>x itself when already contiguous, else a contiguous copy.</summary>
        public Tensor Contiguous() => x.IsContiguous ? x : Copy.Forward(x);

        /// <summary>A contiguous copy that shares nothing with x (gradient flows back).</summary>
        public Tensor Clone() => Copy.Forward(x);

        /// <summary>Splits into pieces of splitSize along dim (the last may be smaller); views, no copy.</summary>
        public Tensor[] Split(int splitSize, int dim = 0)
        {
            int d = x.Shape.Dim(dim, "split"), n = x.Shape[d];
            if (splitSize <= 0) throw new ArgumentException($"split: size must be positive, got {splitSize}");
            var parts = new List<Tensor>();
            for (int s = 0; s < n; s += splitSize) parts.Add(x.Narrow(d, s, Math.Min(splitSize, n - s)));
            return parts.ToArray();
        }

        /// <summary>Splits into pieces of the given sizes along dim.</summary>
        public Tensor[] Split(int[] sizes, int dim = 0)
        {
            int d = x.Shape.Dim(dim, "split");
            if (sizes.Sum() != x.Shape[d]) throw new ShapeException($"split: sizes {Shape.Format(sizes)} sum to {sizes.Sum()}, not the {x.Shape[d]} elements of dim {d}");
            var parts = new Tensor[sizes.Length];
            int at = 0;
            for (int i = 0; i < sizes.Length; i++) { parts[i] = x.Narrow(d, at, sizes[i]); at += sizes[i]; }
            return parts;
        }

        /// <summary>Splits into the given number of nearly equal pieces along dim.</summary>
        public Tensor[] Chunk(int chunks, int dim = 0)
        {
            int n = x.Shape[x.Shape.Dim(dim, "chunk")];
            if (chunks <= 0) throw new ArgumentException($"chunk: the number of chunks must be positive, got {chunks}");
            return x.Split((n + chunks - 1) / chunks, dim);
        }
    }
}
