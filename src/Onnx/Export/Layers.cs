using static Engine.Onnx.Export.GraphWriter;

namespace Engine.Onnx.Export;

/// <summary>
/// One exporter per engine layer: writes the layer's ONNX nodes reading <c>input</c> and returns the output's name
/// with the layer's output on the sample (the next layer's sample; its shape gives static sizes such as an adaptive
/// pool's window). Batch dims are never written as constants, so the graph takes any batch size.
/// </summary>
internal static class Layers
{
    public static (string name, Tensor y) Export(Module m, string path, string input, Tensor x, GraphWriter w)
    {
        string P(string child) => path.Length == 0 ? child : $"{path}.{child}";
        string scope = path.Length == 0 ? m.GetType().Name : path.Replace('.', '/');
        switch (m)
        {
            case IOnnxExportable custom: return (custom.ExportOnnx(new OnnxGraph(w, path), input, x), m.Forward(x));
            case Sequential seq:
            {
                var cur = (input, x);
                foreach (var (n, child) in seq.NamedChildren()) cur = Export(child, P(n), cur.input, cur.x, w);
                return (cur.input, cur.x);
            }
            case Identity: return (input, x);
            case Dropout: return (input, x);   // eval mode: the identity
            case ReLU: return (w.Node("Relu", scope, [input]), m.Forward(x));
            case Sigmoid: return (w.Node("Sigmoid", scope, [input]), m.Forward(x));
            case Tanh: return (w.Node("Tanh", scope, [input]), m.Forward(x));
            case LeakyReLU lr: return (w.Node("LeakyRelu", scope, [input], Attr("alpha", lr.NegativeSlope)), m.Forward(x));
            case GELU: return (Gelu(input, scope, w), m.Forward(x));
            case ReLU6: return (Clip(input, 0f, 6f, scope, w), m.Forward(x));
            case Hardtanh ht: return (Clip(input, ht.MinVal, ht.MaxVal, scope, w), m.Forward(x));
            case Hardsigmoid: return (HardSigmoid(input, scope, w), m.Forward(x));
            case Hardswish: return (HardSwish(input, scope, w), m.Forward(x));
            // silu(x) = x * sigmoid(x), as torch.onnx.export writes it (no Silu operator in ONNX).
            case SiLU: return (w.Node("Mul", scope, [input, w.Node("Sigmoid", scope, [input])]), m.Forward(x));
            case Softmax sm: return (w.Node("Softmax", scope, [input], Attr("axis", (long)sm.Dim)), m.Forward(x));
            case LogSoftmax ls: return (w.Node("LogSoftmax", scope, [input], Attr("axis", (long)ls.Dim)), m.Forward(x));
            case Flatten f: return (Flatten(f, input, x, scope, w, out var fy), fy);
            case Linear lin: return (Linear(lin, path, input, x, scope, w), m.Forward(x));
            case Embedding emb:
                return (w.Node("Gather", scope, [w.Initializer(Name(path, "weight"), emb.Weight), input], Attr("axis", 0L)), m.Forward(x));
            case RecurrentBase rnn: return (Recurrent.Export(rnn, path, input, scope, w), m.Forward(x));
            case Conv2d conv: return (Conv(conv, path, input, scope, w), m.Forward(x));
            case BatchNormBase bn: return (BatchNorm(bn, path, input, x, scope, w), m.Forward(x));
            case LayerNorm ln: return (LayerNorm(ln, path, input, x, scope, w), m.Forward(x));
            case MaxPool2d mp: return (w.Node("MaxPool", scope, [input], PoolAttrs(mp.Args)), m.Forward(x));
            case AvgPool2d ap:
                return (w.Node("AveragePool", scope, [input], [.. PoolAttrs(ap.Args), Attr("count_include_pad", ap.Args.CountIncludePad ? 1L : 0L)]), m.Forward(x));
            case AdaptiveAvgPool2d aap: return (AdaptiveAvg(aap, input, x, scope, w, out var ay), ay);
            case ResidualBlock rb:
            {
                var (a, ya) = Export(rb.Conv1, P("conv1"), input, x, w);
                (a, ya) = Export(rb.Bn1, P("bn1"), a, ya, w);
                a = w.Node("Relu", scope + "/relu1", [a]); ya = ya.Relu();
                (a, ya) = Export(rb.Conv2, P("conv2"), a, ya, w);
                (a, ya) = Export(rb.Bn2, P("bn2"), a, ya, w);
                var (s, ys) = rb.Downsample != null ? Export(rb.Downsample, P("downsample"), input, x, w) : (input, x);
                var sum = w.Node("Add", scope, [a, s]);
                return (w.Node("Relu", scope + "/relu2", [sum]), ya.Add(ys).Relu());
            }
            case DepthwiseSeparableConv ds:
            {
                var (a, ya) = Export(ds.Depthwise, P("dw"), input, x, w);
                (a, ya) = Export(ds.Bn1, P("bn1"), a, ya, w);
                a = w.Node("Relu", scope + "/relu1", [a]); ya = ya.Relu();
                (a, ya) = Export(ds.Pointwise, P("pw"), a, ya, w);
                (a, ya) = Export(ds.Bn2, P("bn2"), a, ya, w);
                return (w.Node("Relu", scope + "/relu2", [a]), ya.Relu());
            }
            default:
                if (VisionZoo.TryExport(m, path, input, x, w) is { } v) return v;
                throw new NotSupportedException($"ONNX export: layer '{(path.Length == 0 ? "(root)" : path)}' ({m.GetType().Name}) has no ONNX equivalent in the exporter; supported: Sequential, Linear, Conv2d, BatchNorm1d/2d, LayerNorm, ReLU, ReLU6, Hardtanh, Hardsigmoid, Hardswish, SiLU, LeakyReLU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax, Flatten, Identity, Dropout, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, ResidualBlock, DepthwiseSeparableConv, Embedding, RNN, LSTM, GRU, and the vision zoo (" + VisionZoo.Supported + "); a custom module can implement IOnnxExportable");
        }
    }

    private static string Name(string path, string member) => path.Length == 0 ? member : $"{path}.{member}";

    // gelu(x) = x * 0.5 * (1 + erf(x / sqrt 2)); Gelu is an ONNX operator only from opset 20.
    private static string Gelu(string input, string scope, GraphWriter w)
    {
        var d = w.Node("Div", scope, [input, w.Floats("sqrt2", [MathF.Sqrt(2f)])]);
        var e = w.Node("Erf", scope, [d]);
        var a = w.Node("Add", scope, [e, w.Floats("one", [1f])]);
        var m = w.Node("Mul", scope, [input, a]);
        return w.Node("Mul", scope, [m, w.Floats("half", [0.5f])]);
    }

    // Clip takes min and max as 0-D inputs from opset 11 (attributes before); the exporter writes 13 and up.
    internal static string Clip(string input, float min, float max, string scope, GraphWriter w) =>
        w.Node("Clip", scope, [input, w.Floats("min", [min]), w.Floats("max", [max])]);

    // hardsigmoid(x) = clamp(x / 6 + 1/2, 0, 1): ONNX's HardSigmoid with torch's alpha and beta.
    internal static string HardSigmoid(string input, string scope, GraphWriter w) =>
        w.Node("HardSigmoid", scope, [input], Attr("alpha", 1f / 6f), Attr("beta", 0.5f));

    // hardswish(x) = x * hardsigmoid(x): the HardSwish operator from opset 14, the product below it (as torch writes it).
    internal static string HardSwish(string input, string scope, GraphWriter w) =>
        w.Opset >= 14 ? w.Node("HardSwish", scope, [input]) : w.Node("Mul", scope, [input, HardSigmoid(input, scope, w)]);

    private static string Flatten(Flatten f, string input, Tensor x, string scope, GraphWriter w, out Tensor y)
    {
        y = f.Forward(x);
        int r = x.Rank;
        int s = f.StartDim < 0 ? f.StartDim + r : f.StartDim, e = f.EndDim < 0 ? f.EndDim + r : f.EndDim;
        if (s == 1 && e == r - 1) return w.Node("Flatten", scope, [input], Attr("axis", 1L));
        if (s == 0) throw new NotSupportedException($"ONNX export: Flatten(startDim: 0) merges the batch dim; only flattens that keep dim 0 are exported");
        // Keep the batch dim (0 = copy it), the static dims after it.
        var shape = y.Shape.ToArray().Select((d, i) => i == 0 ? 0L : d).ToArray();
        return w.Node("Reshape", scope, [input, w.Ints("shape", shape)]);
    }

    private static string Linear(Linear lin, string path, string input, Tensor x, string scope, GraphWriter w)
    {
        var wt = w.Initializer(Name(path, "weight"), lin.Weight);
        string? b = lin.Bias != null ? w.Initializer(Name(path, "bias"), lin.Bias) : null;
        if (x.Rank == 2) return w.Node("Gemm", scope, b != null ? [input, wt, b] : [input, wt], Attr("transB", 1L));
        // [.., in] x W^T: MatMul with the transposed weight, then the bias.
        var t = w.Node("Transpose", scope, [wt], Attr("perm", 1L, 0L));
        var y = w.Node("MatMul", scope, [input, t]);
        return b != null ? w.Node("Add", scope, [y, b]) : y;
    }

    private static string Conv(Conv2d c, string path, string input, string scope, GraphWriter w)
    {
        var a = c.Args;
        var ins = new List<string> { input, w.Initializer(Name(path, "weight"), c.Weight) };
        if (c.Bias != null) ins.Add(w.Initializer(Name(path, "bias"), c.Bias));
        return w.Node("Conv", scope, ins.ToArray(),
            Attr("kernel_shape", c.KernelSize.H, c.KernelSize.W), Attr("strides", a.StrideH, a.StrideW),
            Attr("pads", a.PadH, a.PadW, a.PadH, a.PadW), Attr("dilations", a.DilationH, a.DilationW), Attr("group", (long)a.Groups));
    }

    private static string BatchNorm(BatchNormBase bn, string path, string input, Tensor x, string scope, GraphWriter w)
    {
        if (bn.RunningMean == null || bn.RunningVar == null)
            throw new NotSupportedException($"ONNX export: layer '{path}' ({bn.GetType().Name}) keeps no running statistics (trackRunningStats: false), so it has no inference form to export");
        int C = bn.NumFeatures;
        var scale = bn.Weight != null ? w.Initializer(Name(path, "weight"), bn.Weight) : w.Floats(Name(path, "weight"), Enumerable.Repeat(1f, C).ToArray(), C);
        var bias = bn.Bias != null ? w.Initializer(Name(path, "bias"), bn.Bias) : w.Floats(Name(path, "bias"), new float[C], C);
        var mean = w.Initializer(Name(path, "running_mean"), bn.RunningMean);
        var var = w.Initializer(Name(path, "running_var"), bn.RunningVar);
        return w.Node("BatchNormalization", scope, [input, scale, bias, mean, var], Attr("epsilon", (float)bn.Eps));
    }

    private static string LayerNorm(LayerNorm ln, string path, string input, Tensor x, string scope, GraphWriter w)
    {
        int k = ln.NormalizedShape.Length, axis = x.Rank - k;
        string? scale = ln.Weight != null ? w.Initializer(Name(path, "weight"), ln.Weight) : null;
        string? bias = ln.Bias != null ? w.Initializer(Name(path, "bias"), ln.Bias) : null;
        if (w.Opset >= 17)
        {
            scale ??= w.Floats(Name(path, "weight"), Enumerable.Repeat(1f, ln.NormalizedShape.Aggregate(1, (p, d) => p * d)).ToArray(), ln.NormalizedShape);
            var ins = bias != null ? new[] { input, scale, bias } : [input, scale];
            return w.Node("LayerNormalization", scope, ins, Attr("axis", (long)axis), Attr("epsilon", (float)ln.Eps));
        }
        // Decomposed (what torch writes below opset 17): (x - mean) / sqrt(mean((x - mean)^2) + eps) * w + b.
        var axes = Enumerable.Range(axis, k).Select(i => (long)i).ToArray();
        var mu = w.Node("ReduceMean", scope, [input], Attr("axes", axes), Attr("keepdims", 1L));
        var c = w.Node("Sub", scope, [input, mu]);
        var sq = w.Node("Pow", scope, [c, w.Floats("two", [2f])]);
        var v = w.Node("ReduceMean", scope, [sq], Attr("axes", axes), Attr("keepdims", 1L));
        var ve = w.Node("Add", scope, [v, w.Floats("eps", [(float)ln.Eps])]);
        var y = w.Node("Div", scope, [c, w.Node("Sqrt", scope, [ve])]);
        if (scale != null) y = w.Node("Mul", scope, [y, scale]);
        if (bias != null) y = w.Node("Add", scope, [y, bias]);
        return y;
    }

    private static global::Onnx.AttributeProto[] PoolAttrs(Pool2dArgs a) =>
        [Attr("kernel_shape", a.KernelH, a.KernelW), Attr("strides", a.StrideH, a.StrideW), Attr("pads", a.PadH, a.PadW, a.PadH, a.PadW),
         .. a.CeilMode ? [Attr("ceil_mode", 1L)] : Array.Empty<global::Onnx.AttributeProto>(),
         .. a.DilationH != 1 || a.DilationW != 1 ? [Attr("dilations", a.DilationH, a.DilationW)] : Array.Empty<global::Onnx.AttributeProto>()];

    private static string AdaptiveAvg(AdaptiveAvgPool2d p, string input, Tensor x, string scope, GraphWriter w, out Tensor y)
    {
        y = p.Forward(x);
        int H = x.Shape[2], W = x.Shape[3], oh = y.Shape[2], ow = y.Shape[3];
        if (oh == 1 && ow == 1) return w.Node("GlobalAveragePool", scope, [input]);
        if (H % oh == 0 && W % ow == 0)
            return w.Node("AveragePool", scope, [input], Attr("kernel_shape", (long)(H / oh), W / ow), Attr("strides", (long)(H / oh), W / ow));
        return AdaptiveAvgMatMul(input, H, W, oh, ow, scope, w);
    }

    /// <summary>
    /// An adaptive average pool whose windows are uneven (or overlap, or repeat when the output is larger than the
    /// input, vgg's 7x7 pool of a 2x2 map): no ONNX pool expresses it, but it is linear in each spatial dim, so
    /// y = A_H x A_W^T with A [out, in], A[i, j] = 1 / (end_i - start_i) for start_i = floor(i in / out) &lt;= j &lt;
    /// end_i = ceil((i + 1) in / out). Two MatMuls with constants: x [N,C,H,W] . A_W^T [W,ow] -> [N,C,H,ow], then
    /// A_H [oh,H] . that -> [N,C,oh,ow] (MatMul broadcasts the constant over N and C).
    /// </summary>
    internal static string AdaptiveAvgMatMul(string input, int H, int W, int oh, int ow, string scope, GraphWriter w)
    {
        var y = input;
        if (W != ow) y = w.Node("MatMul", scope, [y, w.Floats("adaptive_w", Transpose(AdaptiveMatrix(W, ow), ow, W), W, ow)]);
        if (H != oh) y = w.Node("MatMul", scope, [w.Floats("adaptive_h", AdaptiveMatrix(H, oh), oh, H), y]);
        return y;
    }

    /// <summary>A [outSize, inSize] row-major: row i averages torch's adaptive window i.</summary>
    internal static float[] AdaptiveMatrix(int inSize, int outSize)
    {
        var a = new float[outSize * inSize];
        for (int i = 0; i < outSize; i++)
        {
            int start = (int)Math.Floor((double)i * inSize / outSize), end = (int)Math.Ceiling((double)(i + 1) * inSize / outSize);
            for (int j = start; j < end; j++) a[i * inSize + j] = 1f / (end - start);
        }
        return a;
    }

    private static float[] Transpose(float[] a, int rows, int cols)
    {
        var t = new float[a.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }
}
