namespace Engine.Onnx.Ops;

/// <summary>
/// Layers as ONNX writes them: Conv (1-D and 2-D, groups, dilation, asymmetric pads), Gemm, MatMul,
/// BatchNormalization (inference form, from the running statistics), LayerNormalization, the pools, Softmax,
/// LogSoftmax and Pad. Shapes: N batch, C channels, H W spatial, K output channels.
/// </summary>
internal static class NnOps
{
    public static void Register(Dictionary<string, Func<Node, Kernel>> d)
    {
        d["Conv"] = Conv;
        d["Gemm"] = Gemm;
        d["MatMul"] = n => (ins, ctx) =>
        {
            var a = Node.In(ins, 0, n).AsTensor(ctx.Device, n.Op);
            var b = Node.In(ins, 1, n).AsTensor(ctx.Device, n.Op);
            try { return [Value.Of(a.Matmul(b))]; } catch (ShapeException e) { throw n.Error(e.Message); }
        };
        d["BatchNormalization"] = BatchNorm;
        d["LayerNormalization"] = LayerNorm;
        d["MaxPool"] = n => Pool(n, max: true);
        d["AveragePool"] = n => Pool(n, max: false);
        d["GlobalAveragePool"] = n => (ins, ctx) => [Value.Of(Spatial(Node.In(ins, 0, n), n, ctx, (t, dims) => t.Mean(dims, keepDim: true)))];
        d["GlobalMaxPool"] = n => (ins, ctx) => [Value.Of(Spatial(Node.In(ins, 0, n), n, ctx, (t, dims) => t.Max(dims, keepDim: true)))];
        d["Softmax"] = n => SoftmaxLike(n, (t, dim) => t.Softmax(dim));
        d["LogSoftmax"] = n => SoftmaxLike(n, (t, dim) => t.LogSoftmax(dim));
        d["Pad"] = Pad;
    }

    private static Tensor Spatial(Value v, Node n, RunContext ctx, Func<Tensor, int[], Tensor> f)
    {
        var t = v.AsTensor(ctx.Device, n.Op);
        if (t.Rank < 3) throw n.Error($"input must be [N,C,spatial...], got {t.Shape}");
        return f(t, Enumerable.Range(2, t.Rank - 2).ToArray());
    }

    /// <summary>Pads of a rank-d op as (begin, end) per spatial dim, from [x1_begin, x2_begin, ..., x1_end, x2_end, ...].</summary>
    private static (int[] begin, int[] end) Pads(Node n, int spatial)
    {
        var p = n.IntArray("pads", new int[2 * spatial]);
        if (p.Length != 2 * spatial) throw n.Error($"pads has {p.Length} entries, expected {2 * spatial}");
        if (p.Any(v => v < 0)) throw n.Error($"negative pads [{string.Join(",", p)}] are not supported");
        return (p[..spatial], p[spatial..]);
    }

    private static Kernel Conv(Node n)
    {
        var autoPad = AutoPad.Mode(n);
        var kernelAttr = n.Ints("kernel_shape");
        int spatial = kernelAttr?.Length ?? (n.Ints("strides")?.Length ?? n.Ints("dilations")?.Length ?? 2);
        // kernel_shape is optional: without it the weight's rank decides, checked when the node runs.
        if (spatial is not (1 or 2)) throw n.Error($"{spatial}-D convolution is not supported (the engine has 1-D and 2-D convolution kernels)");
        var strides = n.IntArray("strides", Enumerable.Repeat(1, spatial).ToArray());
        var dil = n.IntArray("dilations", Enumerable.Repeat(1, spatial).ToArray());
        int groups = (int)n.Int("group", 1);
        var (padsBegin, padsEnd) = Pads(n, spatial);
        return (ins, ctx) =>
        {
            var x = Node.In(ins, 0, n).AsTensor(ctx.Device, n.Op);
            var w = Node.In(ins, 1, n).AsTensor(ctx.Device, n.Op);
            var b = ins.Length > 2 && ins[2] is { } bv ? bv.AsTensor(ctx.Device, n.Op) : null;
            if (kernelAttr == null && (x.Rank > 4 || w.Rank > 4))
                throw n.Error($"{Math.Max(x.Rank, w.Rank) - 2}-D convolution (input {x.Shape}, weight {w.Shape}) is not supported (the engine has 1-D and 2-D convolution kernels)");
            if (x.Rank != spatial + 2 || w.Rank != spatial + 2)
                throw n.Error($"input {x.Shape} and weight {w.Shape} must both have rank {spatial + 2}");
            var (pb, pe) = AutoPad.Resolve(autoPad, x.Shape.AsSpan()[2..], w.Shape.AsSpan()[2..].ToArray(), strides, dil, padsBegin, padsEnd);
            bool oneD = spatial == 1;
            int[] s = oneD ? [1, strides[0]] : strides, dl = oneD ? [1, dil[0]] : dil;
            int[] b0 = oneD ? [0, pb[0]] : pb, e0 = oneD ? [0, pe[0]] : pe;
            if (oneD) { x = x.Unsqueeze(2); w = w.Unsqueeze(2); }
            // The engine's convolution pads symmetrically; an asymmetric pad becomes an explicit zero pad first.
            if (b0[0] != e0[0] || b0[1] != e0[1])
            {
                x = PadConstant(x, [0, 0, b0[0], b0[1]], [0, 0, e0[0], e0[1]], 0f);
                b0 = [0, 0];
            }
            var args = new Conv2dArgs(s[0], s[1], b0[0], b0[1], dl[0], dl[1], groups);
            Tensor y;
            try { y = x.Conv2d(w, b, args); } catch (Exception e) when (e is ShapeException or ArgumentException) { throw n.Error(e.Message); }
            return [Value.Of(oneD ? y.Squeeze(2) : y)];
        };
    }

    // Y = alpha * A' B' + beta * C, A' = transA ? A^T : A, B' likewise.
    private static Kernel Gemm(Node n)
    {
        float alpha = n.Float("alpha", 1f), beta = n.Float("beta", 1f);
        bool ta = n.Int("transA", 0) != 0, tb = n.Int("transB", 0) != 0;
        return (ins, ctx) =>
        {
            var a = Node.In(ins, 0, n).AsTensor(ctx.Device, n.Op);
            var b = Node.In(ins, 1, n).AsTensor(ctx.Device, n.Op);
            if (a.Rank != 2 || b.Rank != 2) throw n.Error($"A {a.Shape} and B {b.Shape} must be 2-D");
            Tensor y;
            try { y = (ta ? a.T : a).Matmul(tb ? b.T : b); } catch (ShapeException e) { throw n.Error(e.Message); }
            if (alpha != 1f) y = y.Mul(alpha);
            if (ins.Length > 2 && ins[2] is { } c && beta != 0f)
            {
                var ct = c.AsTensor(ctx.Device, n.Op);
                y = y.Add(beta == 1f ? ct : ct.Mul(beta));
            }
            return [Value.Of(y)];
        };
    }

    // Inference batch norm: y = (x - mean) / sqrt(var + eps) * scale + B = x * s + (B - mean * s), s = scale / sqrt(var + eps),
    // per channel (dim 1). The running statistics are used in training mode too (frozen batch norm, the usual way to
    // fine-tune an imported network); scale and B keep their gradients.
    private static Kernel BatchNorm(Node n)
    {
        float eps = n.Float("epsilon", 1e-5f);
        if (n.Int("training_mode", 0) != 0) throw n.Error("training_mode=1 is not supported (export the model in eval mode)");
        return (ins, ctx) =>
        {
            var x = Node.In(ins, 0, n).AsTensor(ctx.Device, n.Op);
            Tensor scale = Node.In(ins, 1, n).AsTensor(ctx.Device, n.Op), bias = Node.In(ins, 2, n).AsTensor(ctx.Device, n.Op);
            Tensor mean = Node.In(ins, 3, n).AsTensor(ctx.Device, n.Op), var = Node.In(ins, 4, n).AsTensor(ctx.Device, n.Op);
            if (x.Rank < 2) throw n.Error($"input must be [N,C,...], got {x.Shape}");
            int C = x.Shape[1];
            foreach (var (t, name) in new[] { (scale, "scale"), (bias, "B"), (mean, "mean"), (var, "var") })
                if (t.Rank != 1 || t.Shape[0] != C) throw n.Error($"{name} {t.Shape} must be [{C}] for input {x.Shape}");
            var s = scale.Div(var.Add(eps).Sqrt());
            var shift = bias.Sub(mean.Mul(s));
            var bshape = new int[x.Rank]; Array.Fill(bshape, 1); bshape[1] = C;
            return [Value.Of(x.Mul(s.Reshape(bshape)).Add(shift.Reshape(bshape)))];
        };
    }

    // Y = (X - mean) / sqrt(var + eps) * Scale + B over the dims from axis on (biased variance).
    private static Kernel LayerNorm(Node n)
    {
        long axisAttr = n.Int("axis", -1);
        float eps = n.Float("epsilon", 1e-5f);
        return (ins, ctx) =>
        {
            var x = Node.In(ins, 0, n).AsTensor(ctx.Device, n.Op);
            int axis = Node.Axis(axisAttr, x.Rank, n);
            var dims = Enumerable.Range(axis, x.Rank - axis).ToArray();
            var (xhat, mean, var) = x.Normalize(dims, eps);
            var y = xhat.Mul(Node.In(ins, 1, n).AsTensor(ctx.Device, n.Op));
            if (ins.Length > 2 && ins[2] is { } b) y = y.Add(b.AsTensor(ctx.Device, n.Op));
            return [Value.Of(y), Value.Of(mean), Value.Of(var.Add(eps).Pow(-0.5f))];
        };
    }

    private static Kernel Pool(Node n, bool max)
    {
        var autoPad = AutoPad.Mode(n);
        var k = n.IntArray("kernel_shape", []);
        if (k.Length == 0) throw n.Error("kernel_shape is required");
        if (k.Length is not (1 or 2)) throw n.Error($"kernel_shape [{string.Join(",", k)}]: {k.Length}-D pooling is not supported (the engine has 1-D and 2-D pooling kernels)");
        int sp = k.Length;
        var strides = n.IntArray("strides", Enumerable.Repeat(1, sp).ToArray());
        var dil = n.IntArray("dilations", Enumerable.Repeat(1, sp).ToArray());
        if (!max && dil.Any(v => v != 1)) throw n.Error("dilated average pooling is not supported");
        bool ceil = n.Int("ceil_mode", 0) != 0;
        bool countPad = n.Int("count_include_pad", 0) != 0;
        var (padsBegin, padsEnd) = Pads(n, sp);
        if (n.Proto.Output.Count > 1 && n.Proto.Output[1].Length > 0) throw n.Error("the Indices output of MaxPool is not supported");
        return (ins, ctx) =>
        {
            var x = Node.In(ins, 0, n).AsTensor(ctx.Device, n.Op);
            if (x.Rank != sp + 2) throw n.Error($"input {x.Shape} must have rank {sp + 2} for kernel_shape [{string.Join(",", k)}]");
            var (pb, pe) = AutoPad.Resolve(autoPad, x.Shape.AsSpan()[2..], k, strides, dil, padsBegin, padsEnd);
            bool oneD = sp == 1;
            int[] kk = oneD ? [1, k[0]] : k, ss = oneD ? [1, strides[0]] : strides, b0 = oneD ? [0, pb[0]] : pb, e0 = oneD ? [0, pe[0]] : pe;
            if (oneD) x = x.Unsqueeze(2);
            if (b0[0] != e0[0] || b0[1] != e0[1])
            {
                if (ceil) throw n.Error("asymmetric pads with ceil_mode=1 are not supported");
                // -inf padding never wins a max; zero padding is what count_include_pad=1 averages in.
                var padded = PadConstant(x, [0, 0, b0[0], b0[1]], [0, 0, e0[0], e0[1]], max ? float.NegativeInfinity : 0f);
                if (!max && !countPad)
                {
                    // Average over the real elements only: mean of the zero-padded x over mean of a zero-padded mask of ones.
                    var ones = PadConstant(Tensor.Ones(new Shape(1, 1, x.Shape[2], x.Shape[3]), x.Device), [0, 0, b0[0], b0[1]], [0, 0, e0[0], e0[1]], 0f);
                    var a = new Pool2dArgs(kk[0], kk[1], ss[0], ss[1], 0, 0, true);
                    try { return [Value.Of(Squeezed(padded.AvgPool2d(a).Div(ones.AvgPool2d(a)), oneD))]; }
                    catch (Exception e) when (e is ShapeException or ArgumentException) { throw n.Error(e.Message); }
                }
                x = padded;
                b0 = [0, 0];
            }
            int[] dd = oneD ? [1, dil[0]] : dil;
            var args = new Pool2dArgs(kk[0], kk[1], ss[0], ss[1], b0[0], b0[1], countPad, ceil, dd[0], dd[1]);
            Tensor y;
            try { y = max ? x.MaxPool2d(args) : x.AvgPool2d(args); } catch (Exception e) when (e is ShapeException or ArgumentException) { throw n.Error(e.Message); }
            return [Value.Of(oneD ? y.Squeeze(2) : y)];
        };
    }

    private static Tensor Squeezed(Tensor y, bool oneD) => oneD ? y.Squeeze(2) : y;

    private static Kernel SoftmaxLike(Node n, Func<Tensor, int, Tensor> f)
    {
        // Before opset 13 the input is coerced to 2-D at axis (default 1) and normalized over the flattened rest.
        long axisAttr = n.Int("axis", n.Opset >= 13 ? -1 : 1);
        return (ins, ctx) =>
        {
            var x = Node.In(ins, 0, n).AsTensor(ctx.Device, n.Op);
            int axis = Node.Axis(axisAttr, x.Rank, n);
            if (n.Opset >= 13 || axis == x.Rank - 1) return [Value.Of(f(x, axis))];
            var shape = x.Shape.ToArray();
            return [Value.Of(f(x.Flatten(axis, -1), axis).Reshape(shape))];
        };
    }

    private static Kernel Pad(Node n)
    {
        var mode = n.Str("mode", "constant");
        if (mode is not ("constant" or "reflect" or "edge")) throw n.Error($"mode '{mode}' is not one of constant, reflect, edge");
        var padsAttr = n.Ints("pads");
        float valueAttr = n.Float("value", 0f);
        return (ins, ctx) =>
        {
            var xv = Node.In(ins, 0, n);
            var x = xv.AsTensor(ctx.Device, n.Op);
            long[] pads = n.Opset >= 11 ? Node.In(ins, 1, n).AsInts(n.Op) : padsAttr ?? throw n.Error("pads attribute is missing");
            float value = n.Opset >= 11 && ins.Length > 2 && ins[2] is { } cv ? cv.AsFloats()[0] : valueAttr;
            int r = x.Rank;
            var axes = Enumerable.Range(0, r).ToArray();
            if (n.Opset >= 18 && ins.Length > 3 && ins[3] is { } av) axes = av.AsInts(n.Op).Select(a => Node.Axis(a, r, n)).ToArray();
            if (pads.Length != 2 * axes.Length) throw n.Error($"pads has {pads.Length} entries for {axes.Length} axes of input {x.Shape}");
            var begin = new int[r]; var end = new int[r];
            for (int i = 0; i < axes.Length; i++) { begin[axes[i]] = checked((int)pads[i]); end[axes[i]] = checked((int)pads[i + axes.Length]); }
            if (begin.Concat(end).Any(p => p < 0)) throw n.Error($"negative pads [{string.Join(",", pads)}] are not supported");
            return [Value.Of(mode == "constant" ? PadConstant(x, begin, end, value) : PadIndexed(x, begin, end, mode == "reflect", n))];
        };
    }

    /// <summary>x padded with value: begin[d] cells before and end[d] after along each dim d (a Cat per padded dim).</summary>
    internal static Tensor PadConstant(Tensor x, int[] begin, int[] end, float value)
    {
        for (int d = 0; d < x.Rank; d++)
        {
            if (begin[d] == 0 && end[d] == 0) continue;
            var parts = new List<Tensor>(3);
            var s = x.Shape.ToArray();
            if (begin[d] > 0) { s[d] = begin[d]; parts.Add(Tensor.Full(new Shape(s), value, x.Device)); }
            parts.Add(x);
            if (end[d] > 0) { s[d] = end[d]; parts.Add(Tensor.Full(new Shape(s), value, x.Device)); }
            x = Tensor.Cat(parts, d);
        }
        return x;
    }

    /// <summary>Reflect (mirror without the edge) or edge (repeat the edge) padding as an index selection per dim.</summary>
    private static Tensor PadIndexed(Tensor x, int[] begin, int[] end, bool reflect, Node n)
    {
        for (int d = 0; d < x.Rank; d++)
        {
            if (begin[d] == 0 && end[d] == 0) continue;
            int L = x.Shape[d];
            if (reflect && (begin[d] >= L || end[d] >= L)) throw n.Error($"reflect pads {begin[d]},{end[d]} must be smaller than dim {d} of size {L}");
            var idx = new int[begin[d] + L + end[d]];
            for (int i = 0; i < idx.Length; i++)
            {
                int j = i - begin[d];
                idx[i] = reflect ? (j < 0 ? -j : j >= L ? 2 * (L - 1) - j : j) : Math.Clamp(j, 0, L - 1);
            }
            x = x.IndexSelect(d, idx);
        }
        return x;
    }
}
