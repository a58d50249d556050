namespace Engine.Onnx.Ops;

/// <summary>
/// Shape arithmetic on host integer values (numpy-style broadcasting, C order). These arrays are the small int64
/// tensors of the shape subgraphs torch.onnx.export writes (Shape -> Gather -> Unsqueeze -> Concat -> Reshape).
/// </summary>
internal static class Host
{
    public static int[] Broadcast(int[] a, int[] b, Node n)
    {
        int r = Math.Max(a.Length, b.Length);
        var o = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1;
            int db = i - (r - b.Length) >= 0 ? b[i - (r - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw n.Error($"shapes {Shape.Format(a)} and {Shape.Format(b)} do not broadcast");
            o[i] = da == 1 ? db : da;
        }
        return o;
    }

    /// <summary>For each element of the broadcast output, the flat index into a source of shape src.</summary>
    public static int[] BroadcastIndex(int[] src, int[] outShape)
    {
        int numel = 1; foreach (var d in outShape) numel *= d;
        var idx = new int[numel];
        int r = outShape.Length, off = r - src.Length;
        var strides = new int[r];
        int s = 1;
        for (int i = src.Length - 1; i >= 0; i--) { strides[i + off] = src[i] == 1 ? 0 : s; s *= src[i]; }
        var pos = new int[r];
        for (int k = 0; k < numel; k++)
        {
            int f = 0;
            for (int i = 0; i < r; i++) f += pos[i] * strides[i];
            idx[k] = f;
            for (int i = r - 1; i >= 0; i--) { if (++pos[i] < outShape[i]) break; pos[i] = 0; }
        }
        return idx;
    }

    public static Value Binary(Value a, Value b, Node n, Func<double, double, double> f, bool toBool = false)
    {
        var shape = Broadcast(a.Shape, b.Shape, n);
        var ia = BroadcastIndex(a.Shape, shape);
        var ib = BroadcastIndex(b.Shape, shape);
        if (!toBool && (a.Floats != null || b.Floats != null))
        {
            var fa = a.AsFloats(); var fb = b.AsFloats();
            var o = new float[ia.Length];
            for (int i = 0; i < o.Length; i++) o[i] = (float)f(fa[ia[i]], fb[ib[i]]);
            return Value.OfFloats(o, shape);
        }
        var xa = a.Floats != null ? null : a.Ints; var xb = b.Floats != null ? null : b.Ints;
        var da = a.AsFloats(); var db = b.AsFloats();
        var r = new long[ia.Length];
        for (int i = 0; i < r.Length; i++)
        {
            double va = xa != null ? xa[ia[i]] : da[ia[i]], vb = xb != null ? xb[ib[i]] : db[ib[i]];
            double v = f(va, vb);
            r[i] = toBool ? (v != 0 ? 1 : 0) : (long)v;
        }
        return Value.OfInts(r, shape, toBool ? DataTypes.Bool : a.ElemType);
    }

    /// <summary>Generic gather along axis for host data of any element type T.</summary>
    public static T[] Gather<T>(T[] data, int[] shape, int axis, long[] indices, Node n, out int[] outShape, int[] indexShape)
    {
        int outer = 1, inner = 1, dim = shape[axis];
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
        var o = new T[outer * indices.Length * inner];
        for (int a = 0; a < outer; a++)
            for (int j = 0; j < indices.Length; j++)
            {
                long ix = indices[j] < 0 ? indices[j] + dim : indices[j];
                if (ix < 0 || ix >= dim) throw n.Error($"index {indices[j]} is out of range for axis {axis} of size {dim}");
                Array.Copy(data, (a * dim + ix) * inner, o, (a * indices.Length + j) * inner, inner);
            }
        outShape = [.. shape[..axis], .. indexShape, .. shape[(axis + 1)..]];
        return o;
    }

    public static T[] Concat<T>(IReadOnlyList<(T[] data, int[] shape)> parts, int axis, Node n, out int[] outShape)
    {
        var first = parts[0].shape;
        int outer = 1; for (int i = 0; i < axis; i++) outer *= first[i];
        int inner = 1; for (int i = axis + 1; i < first.Length; i++) inner *= first[i];
        int total = 0;
        foreach (var (_, s) in parts)
        {
            if (s.Length != first.Length) throw n.Error($"inputs of rank {first.Length} and {s.Length} cannot be concatenated");
            for (int i = 0; i < s.Length; i++)
                if (i != axis && s[i] != first[i]) throw n.Error($"shapes {Shape.Format(first)} and {Shape.Format(s)} differ outside axis {axis}");
            total += s[axis];
        }
        var o = new T[outer * total * inner];
        int at = 0;
        for (int a = 0; a < outer; a++)
            foreach (var (d, s) in parts)
            {
                int len = s[axis] * inner;
                Array.Copy(d, a * len, o, at, len);
                at += len;
            }
        outShape = (int[])first.Clone();
        outShape[axis] = total;
        return o;
    }

    /// <summary>Elements of data (shape) at the strided window starts/ends/steps per axis (already clamped).</summary>
    public static T[] Slice<T>(T[] data, int[] shape, int[] start, int[] step, int[] count)
    {
        int r = shape.Length;
        var strides = Layout.ContiguousStrides(shape);
        int numel = 1; foreach (var c in count) numel *= c;
        var o = new T[numel];
        var pos = new int[r];
        for (int k = 0; k < numel; k++)
        {
            int f = 0;
            for (int i = 0; i < r; i++) f += (start[i] + pos[i] * step[i]) * strides[i];
            o[k] = data[f];
            for (int i = r - 1; i >= 0; i--) { if (++pos[i] < count[i]) break; pos[i] = 0; }
        }
        return o;
    }

    public static int[] ToShape(long[] v, Node n, string what) =>
        v.Select(d => d >= int.MinValue && d <= int.MaxValue ? (int)d : throw n.Error($"{what} value {d} is out of range")).ToArray();
}
