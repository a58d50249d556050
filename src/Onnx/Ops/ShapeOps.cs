namespace Engine.Onnx.Ops;

/// <summary>
/// Shape and indexing operators: Reshape, Flatten, Transpose, Concat, Slice, Gather, Unsqueeze, Squeeze, Shape, Size,
/// ConstantOfShape, Expand, Range, Constant. Each works on device tensors (through the engine's view ops, so it keeps
/// gradients) and on host values (the shape subgraphs).
/// </summary>
internal static class ShapeOps
{
    public static void Register(Dictionary<string, Func<Node, Kernel>> d)
    {
        d["Reshape"] = Reshape;
        d["Flatten"] = n =>
        {
            long axisAttr = n.Int("axis", 1);
            return (ins, ctx) =>
            {
                var x = Node.In(ins, 0, n);
                int r = x.Rank;
                long axis = axisAttr < 0 ? axisAttr + r : axisAttr;
                if (axis < 0 || axis > r) throw n.Error($"axis {axisAttr} is out of range for rank {r}");
                int outer = 1; for (int i = 0; i < axis; i++) outer *= x.Shape[i];
                return [Reshaped(x, [outer, outer == 0 ? 0 : x.Numel / Math.Max(outer, 1)], n)];
            };
        };
        d["Transpose"] = Transpose;
        d["Concat"] = Concat;
        d["Slice"] = Slice;
        d["Gather"] = Gather;
        d["Unsqueeze"] = Unsqueeze;
        d["Squeeze"] = Squeeze;
        d["Shape"] = n =>
        {
            long startAttr = n.Int("start", 0), endAttr = n.Int("end", long.MaxValue);
            return (ins, ctx) =>
            {
                var s = Node.In(ins, 0, n).Shape;
                int r = s.Length;
                int start = (int)Math.Clamp(startAttr < 0 ? startAttr + r : startAttr, 0, r);
                int end = (int)Math.Clamp(endAttr < 0 ? endAttr + r : endAttr, 0, r);
                var dims = s[start..Math.Max(start, end)].Select(v => (long)v).ToArray();
                return [Value.OfInts(dims, [dims.Length])];
            };
        };
        d["Size"] = n => (ins, ctx) => [Value.OfInts([Node.In(ins, 0, n).Numel], [])];
        d["ConstantOfShape"] = n =>
        {
            var vt = n.Tensor("value");
            var v = vt != null ? TensorData.Decode(vt, null, $"{n.Label} value") : Value.OfFloats([0f], [1]);
            if (v.Numel != 1) throw n.Error($"value must hold one element, got {v.Describe()}");
            return (ins, ctx) =>
            {
                var shape = Host.ToShape(Node.In(ins, 0, n).AsInts(n.Op), n, "shape");
                if (shape.Any(s => s < 0)) throw n.Error($"shape {Shape.Format(shape)} has a negative dimension");
                long numel = 1; foreach (var s in shape) numel *= s;
                if (numel > int.MaxValue) throw n.Error($"shape {Shape.Format(shape)} is too large");
                if (v.Floats != null) return [Value.OfFloats(Enumerable.Repeat(v.Floats[0], (int)numel).ToArray(), shape)];
                return [Value.OfInts(Enumerable.Repeat(v.Ints![0], (int)numel).ToArray(), shape, v.ElemType)];
            };
        };
        d["Expand"] = n => (ins, ctx) =>
        {
            var x = Node.In(ins, 0, n);
            var target = Host.Broadcast(x.Shape, Host.ToShape(Node.In(ins, 1, n).AsInts(n.Op), n, "shape"), n);
            if (x.IsHost)
            {
                var idx = Host.BroadcastIndex(x.Shape, target);
                return [x.Ints != null ? Value.OfInts(idx.Select(i => x.Ints[i]).ToArray(), target, x.ElemType)
                                       : Value.OfFloats(idx.Select(i => x.Floats![i]).ToArray(), target)];
            }
            var t = x.Tensor!;
            if (t.Rank < target.Length) t = t.Reshape([.. Enumerable.Repeat(1, target.Length - t.Rank), .. t.Shape.ToArray()]);
            return [Value.Of(t.Expand(target))];
        };
        d["Range"] = n => (ins, ctx) =>
        {
            Value s = Node.In(ins, 0, n), l = Node.In(ins, 1, n), dl = Node.In(ins, 2, n);
            double start = s.AsFloats()[0], limit = l.AsFloats()[0], delta = dl.AsFloats()[0];
            if (delta == 0) throw n.Error("delta is 0");
            long count = Math.Max((long)Math.Ceiling((limit - start) / delta), 0);
            if (count > int.MaxValue) throw n.Error($"{count} elements is too many");
            if (s.Floats != null) return [Value.OfFloats(Enumerable.Range(0, (int)count).Select(i => (float)(start + i * delta)).ToArray(), [(int)count])];
            return [Value.OfInts(Enumerable.Range(0, (int)count).Select(i => (long)(start + i * delta)).ToArray(), [(int)count], s.ElemType)];
        };
        d["Constant"] = Constant;
    }

    /// <summary>The value with a new shape (same element count); a device tensor is reshaped by the engine (a view when it can).</summary>
    private static Value Reshaped(Value x, int[] shape, Node n)
    {
        long numel = 1; foreach (var s in shape) numel *= s;
        if (numel != x.Numel) throw n.Error($"cannot reshape {x.Describe()} ({x.Numel} elements) to {Shape.Format(shape)} ({numel})");
        if (x.Tensor != null) return Value.Of(x.Tensor.Reshape(shape));
        return x.Ints != null ? Value.OfInts(x.Ints, shape, x.ElemType) : Value.OfFloats(x.Floats!, shape);
    }

    private static Kernel Reshape(Node n)
    {
        bool allowZero = n.Int("allowzero", 0) != 0;
        return (ins, ctx) =>
        {
            var x = Node.In(ins, 0, n);
            var req = Node.In(ins, 1, n).AsInts(n.Op);
            var src = x.Shape;
            var shape = new int[req.Length];
            int infer = -1; long known = 1;
            for (int i = 0; i < req.Length; i++)
            {
                long v = req[i];
                if (v == 0 && !allowZero)
                {
                    if (i >= src.Length) throw n.Error($"shape [{string.Join(",", req)}] copies dim {i} (0) that input {x.Describe()} does not have");
                    v = src[i];
                }
                if (v == -1)
                {
                    if (infer >= 0) throw n.Error($"shape [{string.Join(",", req)}] has more than one -1");
                    infer = i; continue;
                }
                if (v < 0 || v > int.MaxValue) throw n.Error($"shape [{string.Join(",", req)}] has an invalid dimension {v}");
                shape[i] = (int)v; known *= v;
            }
            if (infer >= 0)
            {
                if (known == 0 || x.Numel % known != 0) throw n.Error($"cannot reshape {x.Describe()} to [{string.Join(",", req)}]");
                shape[infer] = (int)(x.Numel / known);
            }
            return [Reshaped(x, shape, n)];
        };
    }

    private static Kernel Transpose(Node n)
    {
        var permAttr = n.IntArray("perm", []);
        return (ins, ctx) =>
        {
            var x = Node.In(ins, 0, n);
            int r = x.Rank;
            var perm = permAttr.Length > 0 ? permAttr : Enumerable.Range(0, r).Reverse().ToArray();
            if (perm.Length != r || perm.OrderBy(p => p).Where((p, i) => p != i).Any())
                throw n.Error($"perm [{string.Join(",", perm)}] is not a permutation of the {r} dims of {x.Describe()}");
            if (x.Tensor != null) return [Value.Of(x.Tensor.Permute(perm))];
            // Host: out[i0..] = in[index permuted]; the source strides in output order.
            var shape = x.Shape;
            var outShape = perm.Select(p => shape[p]).ToArray();
            var st = Layout.ContiguousStrides(shape);
            var map = new int[x.Numel];
            var pos = new int[r];
            for (int k = 0; k < map.Length; k++)
            {
                int f = 0;
                for (int i = 0; i < r; i++) f += pos[i] * st[perm[i]];
                map[k] = f;
                for (int i = r - 1; i >= 0; i--) { if (++pos[i] < outShape[i]) break; pos[i] = 0; }
            }
            return [x.Ints != null ? Value.OfInts(map.Select(i => x.Ints[i]).ToArray(), outShape, x.ElemType)
                                   : Value.OfFloats(map.Select(i => x.Floats![i]).ToArray(), outShape)];
        };
    }

    private static Kernel Concat(Node n)
    {
        if (!n.Has("axis")) throw n.Error("attribute 'axis' is required");
        long axisAttr = n.Int("axis", 0);
        return (ins, ctx) =>
        {
            var vs = ins.Where(v => v != null).Select(v => v!).ToList();
            if (vs.Count == 0) throw n.Error("no inputs");
            int axis = Node.Axis(axisAttr, vs[0].Rank, n);
            if (vs.All(v => v.IsHost))
            {
                if (vs.All(v => v.Ints != null))
                {
                    var o = Host.Concat(vs.Select(v => (v.Ints!, v.Shape)).ToList(), axis, n, out var s);
                    return [Value.OfInts(o, s, vs[0].ElemType)];
                }
                var f = Host.Concat(vs.Select(v => (v.AsFloats(), v.Shape)).ToList(), axis, n, out var fs);
                return [Value.OfFloats(f, fs)];
            }
            try { return [Value.Of(Tensor.Cat(vs.Select(v => v.AsTensor(ctx.Device, n.Op)).ToList(), axis))]; }
            catch (ShapeException e) { throw n.Error(e.Message); }
        };
    }

    private static Kernel Slice(Node n)
    {
        // Opset 10 moved starts, ends, axes and steps from attributes to inputs.
        long[]? sa = n.Ints("starts"), ea = n.Ints("ends"), aa = n.Ints("axes");
        return (ins, ctx) =>
        {
            var x = Node.In(ins, 0, n);
            long[] starts, ends; long[]? axes, steps = null;
            if (n.Opset >= 10)
            {
                starts = Node.In(ins, 1, n).AsInts(n.Op); ends = Node.In(ins, 2, n).AsInts(n.Op);
                axes = ins.Length > 3 && ins[3] is { } a ? a.AsInts(n.Op) : null;
                steps = ins.Length > 4 && ins[4] is { } st ? st.AsInts(n.Op) : null;
            }
            else { starts = sa ?? throw n.Error("starts is missing"); ends = ea ?? throw n.Error("ends is missing"); axes = aa; }
            if (ends.Length != starts.Length || (axes != null && axes.Length != starts.Length) || (steps != null && steps.Length != starts.Length))
                throw n.Error($"starts, ends, axes and steps must have the same length ({starts.Length}, {ends.Length}, {axes?.Length}, {steps?.Length})");
            var shape = x.Shape;
            int r = shape.Length;
            var begin = new int[r]; var step = Enumerable.Repeat(1, r).ToArray(); var count = (int[])shape.Clone();
            for (int i = 0; i < starts.Length; i++)
            {
                int ax = Node.Axis(axes?[i] ?? i, r, n);
                long dim = shape[ax], s = starts[i], e = ends[i], k = steps?[i] ?? 1;
                if (k == 0) throw n.Error("a step of 0");
                if (s < 0) s += dim; if (e < 0) e += dim;
                // ONNX's clamping: [0, dim] for positive steps, [-1, dim - 1] for negative ones.
                if (k > 0) { s = Math.Clamp(s, 0, dim); e = Math.Clamp(e, 0, dim); }
                else { s = Math.Clamp(s, -1, dim - 1); e = Math.Clamp(e, -1, dim - 1); }
                long c = k > 0 ? (e - s + k - 1) / k : (s - e + (-k) - 1) / (-k);
                begin[ax] = (int)s; step[ax] = (int)k; count[ax] = (int)Math.Max(c, 0);
            }
            if (x.IsHost)
            {
                if (x.Ints != null) return [Value.OfInts(Host.Slice(x.Ints, shape, begin, step, count), count, x.ElemType)];
                return [Value.OfFloats(Host.Slice(x.Floats!, shape, begin, step, count), count)];
            }
            var t = x.Tensor!;
            for (int ax = 0; ax < r; ax++)
            {
                if (begin[ax] == 0 && step[ax] == 1 && count[ax] == shape[ax]) continue;
                if (step[ax] > 0) t = t.Slice(ax, begin[ax], begin[ax] + count[ax] * step[ax] - (step[ax] - 1), step[ax]);
                else t = t.IndexSelect(ax, Enumerable.Range(0, count[ax]).Select(j => begin[ax] + j * step[ax]).ToArray());
            }
            return [Value.Of(t)];
        };
    }

    private static Kernel Gather(Node n)
    {
        long axisAttr = n.Int("axis", 0);
        return (ins, ctx) =>
        {
            var x = Node.In(ins, 0, n);
            var iv = Node.In(ins, 1, n);
            int axis = Node.Axis(axisAttr, x.Rank, n);
            var indices = iv.AsInts(n.Op);
            var ishape = iv.Shape;
            if (x.IsHost)
            {
                if (x.Ints != null) return [Value.OfInts(Host.Gather(x.Ints, x.Shape, axis, indices, n, out var s, ishape), s, x.ElemType)];
                return [Value.OfFloats(Host.Gather(x.Floats!, x.Shape, axis, indices, n, out var fs, ishape), fs)];
            }
            var t = x.Tensor!;
            int dim = t.Shape[axis];
            var idx = new int[indices.Length];
            for (int i = 0; i < idx.Length; i++)
            {
                long v = indices[i] < 0 ? indices[i] + dim : indices[i];
                if (v < 0 || v >= dim) throw n.Error($"index {indices[i]} is out of range for axis {axis} of size {dim} (input {t.Shape})");
                idx[i] = (int)v;
            }
            if (ishape.Length == 0) return [Value.Of(t.Select(axis, idx[0]))];
            var y = t.IndexSelect(axis, idx);
            if (ishape.Length == 1) return [Value.Of(y)];
            var sh = t.Shape.ToArray();
            return [Value.Of(y.Reshape([.. sh[..axis], .. ishape, .. sh[(axis + 1)..]]))];
        };
    }

    private static long[] AxesOf(Node n, Value?[] ins)
    {
        if (n.Opset >= 13) return ins.Length > 1 && ins[1] is { } a ? a.AsInts(n.Op) : [];
        return n.Ints("axes") ?? [];
    }

    private static Kernel Unsqueeze(Node n) => (ins, ctx) =>
    {
        var x = Node.In(ins, 0, n);
        var axes = AxesOf(n, ins);
        if (axes.Length == 0) throw n.Error("axes is missing");
        int r = x.Rank + axes.Length;
        var norm = axes.Select(a => Node.Axis(a, r, n)).OrderBy(a => a).ToArray();
        if (norm.Distinct().Count() != norm.Length) throw n.Error($"axes [{string.Join(",", axes)}] repeat an axis");
        var shape = new List<int>(x.Shape);
        foreach (var a in norm) shape.Insert(a, 1);
        return [Reshaped(x, shape.ToArray(), n)];
    };

    private static Kernel Squeeze(Node n) => (ins, ctx) =>
    {
        var x = Node.In(ins, 0, n);
        var axes = AxesOf(n, ins);
        var s = x.Shape;
        var drop = axes.Length == 0 ? Enumerable.Range(0, s.Length).Where(i => s[i] == 1).ToHashSet() : axes.Select(a => Node.Axis(a, s.Length, n)).ToHashSet();
        foreach (var a in drop) if (s[a] != 1) throw n.Error($"cannot squeeze axis {a} of size {s[a]} in {x.Describe()}");
        return [Reshaped(x, s.Where((_, i) => !drop.Contains(i)).ToArray(), n)];
    };

    private static Kernel Constant(Node n)
    {
        Value v;
        if (n.Tensor("value") is { } t) v = TensorData.Decode(t, null, $"{n.Label} value");
        else if (n.Has("value_float")) v = Value.OfFloats([n.Float("value_float", 0)], []);
        else if (n.Floats("value_floats") is { } fs) v = Value.OfFloats(fs, [fs.Length]);
        else if (n.Has("value_int")) v = Value.OfInts([n.Int("value_int", 0)], []);
        else if (n.Ints("value_ints") is { } ls) v = Value.OfInts(ls, [ls.Length]);
        else throw n.Error("no value attribute (value, value_float(s), value_int(s)); sparse and string constants are not supported");
        return (ins, ctx) => [v];
    }
}
