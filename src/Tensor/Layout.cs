namespace Engine;

/// <summary>
/// How a tensor's elements sit in its storage: element (i0..ik) lives at
/// <c>Offset + sum(i_j * Strides[j])</c>. Every view op returns a new Layout over the same
/// storage, so shape changes never copy.
/// </summary>
public sealed class Layout
{
    public Shape Shape { get; }
    public int[] Strides { get; }
    public int Offset { get; }

    public Layout(Shape shape, int[] strides, int offset)
    {
        if (strides.Length != shape.Rank) throw new ArgumentException($"layout: {strides.Length} strides for shape {shape}");
        Shape = shape; Strides = strides; Offset = offset;
    }

    public static Layout Contiguous(Shape shape) => new(shape, ContiguousStrides(shape.AsSpan()), 0);

    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= Math.Max(shape[i], 1); }
        return s;
    }

    public int Rank => Shape.Rank;
    public int Numel => Shape.Numel;

    /// <summary>Row-major with no gaps (size-1 dims may have any stride).</summary>
    public bool IsContiguous
    {
        get
        {
            int acc = 1;
            for (int i = Rank - 1; i >= 0; i--)
            {
                if (Shape[i] != 1 && Strides[i] != acc) return false;
                acc *= Shape[i];
            }
            return true;
        }
    }

    /// <summary>
    /// Throws unless every element this layout addresses lies inside the storage. The kernels read storage through
    /// unchecked vector loads and raw pointers, so a view that reaches past its storage (a hand-built Layout given to
    /// Tensor.Create) is refused here, where it is made.
    /// </summary>
    public void CheckFits(Storage storage)
    {
        if (Numel == 0) return;
        long lo = Offset, hi = Offset;
        for (int i = 0; i < Rank; i++)
        {
            long reach = (long)(Shape[i] - 1) * Strides[i];
            if (reach < 0) lo += reach; else hi += reach;
        }
        if (lo < 0 || hi >= storage.Length)
            throw new ArgumentException(
                $"layout: shape {Shape} with strides {Engine.Shape.Format(Strides)} and offset {Offset} addresses elements {lo} .. {hi}, " +
                $"outside its storage of {storage.Length} ({storage.DType} on {storage.Device})");
    }

    /// <summary>Offset of the element at a multi-index.</summary>
    public int OffsetOf(ReadOnlySpan<int> index)
    {
        int o = Offset;
        for (int i = 0; i < index.Length; i++) o += index[i] * Strides[i];
        return o;
    }

    public Layout Permute(int[] dims, string op = "permute")
    {
        if (dims.Length != Rank) throw new ShapeException($"{op}: {dims.Length} dims given for a tensor of shape {Shape}");
        var seen = new bool[Rank];
        var sh = new int[Rank]; var st = new int[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int d = Shape.NormalizeDim(dims[i], Rank, op);
            if (seen[d]) throw new ShapeException($"{op}: dim {d} repeated in {Engine.Shape.Format(dims)}");
            seen[d] = true; sh[i] = Shape[d]; st[i] = Strides[d];
        }
        return new Layout(Shape.Wrap(sh), st, Offset);
    }

    public Layout Transpose(int d0, int d1)
    {
        d0 = Shape.Dim(d0, "transpose"); d1 = Shape.Dim(d1, "transpose");
        var p = Enumerable.Range(0, Rank).ToArray();
        (p[d0], p[d1]) = (p[d1], p[d0]);
        return Permute(p, "transpose");
    }

    /// <summary>Elements [start, start+length) along dim.</summary>
    public Layout Narrow(int dim, int start, int length)
    {
        dim = Shape.Dim(dim, "narrow");
        int n = Shape[dim];
        if (start < 0) start += n;
        if (start < 0 || length < 0 || start + length > n)
            throw new ArgumentOutOfRangeException(nameof(start), $"narrow: range [{start}, {start + length}) is outside [0, {n}] on dim {dim} of shape {Shape}");
        var sh = Shape.ToArray(); sh[dim] = length;
        return new Layout(Shape.Wrap(sh), (int[])Strides.Clone(), Offset + (length == 0 ? 0 : start * Strides[dim]));
    }

    /// <summary>Elements start, start+step, ... below end along dim (step > 0).</summary>
    public Layout Slice(int dim, int start, int end, int step)
    {
        dim = Shape.Dim(dim, "slice");
        int n = Shape[dim];
        if (step <= 0) throw new ArgumentOutOfRangeException(nameof(step), $"slice: step must be positive, got {step}");
        if (start < 0) start += n;
        if (end < 0) end += n;
        start = Math.Clamp(start, 0, n); end = Math.Clamp(end, start, n);
        int len = (end - start + step - 1) / step;
        var sh = Shape.ToArray(); sh[dim] = len;
        var st = (int[])Strides.Clone(); st[dim] = Strides[dim] * step;
        return new Layout(Shape.Wrap(sh), st, Offset + (len == 0 ? 0 : start * Strides[dim]));
    }

    /// <summary>Broadcast to a larger shape: new leading dims and size-1 dims get stride 0.</summary>
    public Layout Expand(Shape target, string op = "expand")
    {
        if (target.Rank < Rank) throw new ShapeException($"{op}: cannot expand shape {Shape} to {target}: fewer dims");
        int lead = target.Rank - Rank;
        var st = new int[target.Rank];
        for (int i = 0; i < target.Rank; i++)
        {
            if (i < lead) { st[i] = 0; continue; }
            int s = Shape[i - lead];
            if (s == target[i]) st[i] = Strides[i - lead];
            else if (s == 1) st[i] = 0;
            else throw new ShapeException($"{op}: cannot expand shape {Shape} to {target}: dim {i} is {s}, not 1 or {target[i]}");
        }
        return new Layout(target, st, Offset);
    }

    public Layout Unsqueeze(int dim)
    {
        dim = Shape.NormalizeDim(dim, Rank + 1, "unsqueeze");
        var sh = Shape.ToArray().ToList(); var st = Strides.ToList();
        int stride = dim < Rank ? Shape[dim] * Strides[dim] : 1;
        sh.Insert(dim, 1); st.Insert(dim, stride);
        return new Layout(Shape.Wrap(sh.ToArray()), st.ToArray(), Offset);
    }

    /// <summary>Removes dim if its size is 1 (PyTorch leaves other sizes alone); null removes all size-1 dims.</summary>
    public Layout Squeeze(int? dim = null)
    {
        var sh = new List<int>(); var st = new List<int>();
        int? d = dim is int x ? Shape.Dim(x, "squeeze") : null;
        for (int i = 0; i < Rank; i++)
        {
            bool drop = Shape[i] == 1 && (d == null || d == i);
            if (!drop) { sh.Add(Shape[i]); st.Add(Strides[i]); }
        }
        return new Layout(Shape.Wrap(sh.ToArray()), st.ToArray(), Offset);
    }

    /// <summary>
    /// Resolves one -1 in a requested shape and checks the element count.
    /// </summary>
    public static Shape InferShape(int[] requested, int numel, Shape from, string op)
    {
        var sh = (int[])requested.Clone();
        int infer = -1; long known = 1;
        for (int i = 0; i < sh.Length; i++)
        {
            if (sh[i] == -1)
            {
                if (infer >= 0) throw new ShapeException($"{op}: only one dimension can be -1 in {Engine.Shape.Format(requested)}");
                infer = i;
            }
            else if (sh[i] < 0) throw new ShapeException($"{op}: invalid size {sh[i]} in {Engine.Shape.Format(requested)}");
            else known *= sh[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || numel % known != 0)
                throw new ShapeException($"{op}: shape {Engine.Shape.Format(requested)} is invalid for input of shape {from} ({numel} elements)");
            sh[infer] = (int)(numel / known);
        }
        else if (known != numel)
            throw new ShapeException($"{op}: shape {Engine.Shape.Format(requested)} is invalid for input of shape {from} ({numel} elements)");
        return Shape.Wrap(sh);
    }

    /// <summary>
    /// A view with a new shape over the same storage, or null when the strides cannot express it
    /// (PyTorch's computeStride: dims may be merged/split only inside contiguous chunks).
    /// </summary>
    public Layout? TryView(Shape newShape)
    {
        if (newShape.Numel != Numel) return null;
        if (IsContiguous) return new Layout(newShape, ContiguousStrides(newShape.AsSpan()), Offset);
        if (Numel == 0) return new Layout(newShape, ContiguousStrides(newShape.AsSpan()), Offset);
        var newStrides = new int[newShape.Rank];
        int viewD = newShape.Rank - 1;
        int chunkBase = Strides.Length > 0 ? Strides[^1] : 1;
        long tensorNumel = 1, viewNumel = 1;
        for (int d = Rank - 1; d >= 0; d--)
        {
            tensorNumel *= Shape[d];
            if (d == 0 || (Shape[d - 1] != 1 && Strides[d - 1] != tensorNumel * chunkBase))
            {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1))
                {
                    newStrides[viewD] = (int)(viewNumel * chunkBase);
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (d > 0) { chunkBase = Strides[d - 1]; tensorNumel = 1; viewNumel = 1; }
            }
        }
        if (viewD != -1) return null;
        return new Layout(newShape, newStrides, Offset);
    }

    public override string ToString() => $"shape {Shape} strides {Engine.Shape.Format(Strides)} offset {Offset}";
}
