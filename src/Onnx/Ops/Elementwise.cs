namespace Engine.Onnx.Ops;

/// <summary>
/// Elementwise operators. Float tensors go through the engine's differentiable ops (a host scalar operand becomes the
/// scalar overload, x * 0.5 is one Affine); when every operand is a host value (a shape computation) the op runs on
/// the host.
/// </summary>
internal static class Elementwise
{
    public static void Register(Dictionary<string, Func<Node, Kernel>> d)
    {
        Unary(d, "Relu", t => t.Relu());
        Unary(d, "Sigmoid", t => t.Sigmoid());
        Unary(d, "Tanh", t => t.Tanh());
        Unary(d, "Sqrt", t => t.Sqrt());
        Unary(d, "Exp", t => t.Exp());
        Unary(d, "Log", t => t.Log());
        Unary(d, "Abs", t => t.Abs());
        Unary(d, "Neg", t => t.Neg());
        Unary(d, "Reciprocal", t => 1f / t);
        Unary(d, "Erf", Erf);
        d["LeakyRelu"] = n => { float a = n.Float("alpha", 0.01f); return UnaryKernel(n, t => t.LeakyRelu(a)); };
        // HardSigmoid: max(0, min(1, alpha x + beta)); HardSwish: x * HardSigmoid(x) with alpha 1/6, beta 1/2.
        d["HardSigmoid"] = n =>
        {
            float a = n.Float("alpha", 0.2f), b = n.Float("beta", 0.5f);
            return UnaryKernel(n, t => t.Mul(a).Add(b).Clamp(0f, 1f));
        };
        d["HardSwish"] = n => UnaryKernel(n, t => t.Mul(t.Mul(1f / 6f).Add(0.5f).Clamp(0f, 1f)));
        // Gelu is an operator from opset 20; torch 1.13 writes the erf pattern, handled by Erf and the arithmetic.
        d["Gelu"] = n =>
        {
            var approx = n.Str("approximate", "none");
            if (approx == "none") return UnaryKernel(n, t => t.Gelu());
            if (approx != "tanh") throw n.Error($"approximate='{approx}' is not one of none, tanh");
            // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            return UnaryKernel(n, t => t.Mul(t.Add(t.Pow(3f).Mul(0.044715f)).Mul(0.7978845608f).Tanh().Add(1f)).Mul(0.5f));
        };
        d["Clip"] = Clip;
        d["Add"] = n => BinaryKernel(n, BinOp.Add);
        d["Sub"] = n => BinaryKernel(n, BinOp.Sub);
        d["Mul"] = n => BinaryKernel(n, BinOp.Mul);
        d["Div"] = n => BinaryKernel(n, BinOp.Div);
        d["Pow"] = n => BinaryKernel(n, BinOp.Pow);
        d["Equal"] = n => BinaryKernel(n, BinOp.Equal);
        d["Less"] = n => BinaryKernel(n, BinOp.Less);
        d["Greater"] = n => BinaryKernel(n, BinOp.Greater);
        d["LessOrEqual"] = n => BinaryKernel(n, BinOp.LessOrEqual);
        d["GreaterOrEqual"] = n => BinaryKernel(n, BinOp.GreaterOrEqual);
        d["And"] = n => BinaryKernel(n, BinOp.And);
        d["Or"] = n => BinaryKernel(n, BinOp.Or);
        d["Not"] = n => (ins, ctx) =>
        {
            var x = Node.In(ins, 0, n);
            if (x.IsHost) return [Value.OfInts(x.AsInts(n.Op).Select(v => v == 0 ? 1L : 0L).ToArray(), x.Shape, DataTypes.Bool)];
            return [Value.Of(1f - x.Tensor!)];
        };
        d["Where"] = n => (ins, ctx) =>
        {
            Value c = Node.In(ins, 0, n), a = Node.In(ins, 1, n), b = Node.In(ins, 2, n);
            if (c.IsHost && a.IsHost && b.IsHost)
            {
                var shape = Host.Broadcast(Host.Broadcast(c.Shape, a.Shape, n), b.Shape, n);
                int[] ic = Host.BroadcastIndex(c.Shape, shape), ia = Host.BroadcastIndex(a.Shape, shape), ib = Host.BroadcastIndex(b.Shape, shape);
                var cv = c.AsInts(n.Op);
                if (a.Floats != null || b.Floats != null)
                {
                    float[] fa = a.AsFloats(), fb = b.AsFloats();
                    return [Value.OfFloats(ic.Select((_, i) => cv[ic[i]] != 0 ? fa[ia[i]] : fb[ib[i]]).ToArray(), shape)];
                }
                long[] la = a.AsInts(n.Op), lb = b.AsInts(n.Op);
                return [Value.OfInts(ic.Select((_, i) => cv[ic[i]] != 0 ? la[ia[i]] : lb[ib[i]]).ToArray(), shape, a.ElemType)];
            }
            return [Value.Of(Tensor.Where(c.AsTensor(ctx.Device, n.Op), a.AsTensor(ctx.Device, n.Op), b.AsTensor(ctx.Device, n.Op)))];
        };
        d["Cast"] = Cast;
        d["Identity"] = n => (ins, ctx) => [Node.In(ins, 0, n)];
        // Dropout: the identity in inference (ONNX's training_mode false); with the model in training mode it drops,
        // so an imported model fine-tunes as it was trained. The optional mask output is all ones in inference.
        d["Dropout"] = n =>
        {
            float ratioAttr = n.Float("ratio", 0.5f);
            return (ins, ctx) =>
            {
                var x = Node.In(ins, 0, n);
                float ratio = ins.Length > 1 && ins[1] is { } r && r.TryScalar(out var rv) ? rv : ratioAttr;
                var y = ctx.Training && ratio > 0 && x.Tensor != null ? Value.Of(F.Dropout(x.Tensor, ratio, true)) : x;
                return [y, Value.OfInts(Enumerable.Repeat(1L, x.Numel).ToArray(), x.Shape, DataTypes.Bool)];
            };
        };
    }

    /// <summary>
    /// erf(x) = sign(x) (1 - (a1 t + a2 t^2 + a3 t^3 + a4 t^4 + a5 t^5) e^(-x^2)), t = 1 / (1 + p |x|)
    /// (Abramowitz and Stegun 7.1.26, |error| &lt; 1.5e-7), composed from the engine's ops so that it has a gradient
    /// and runs on every device.
    /// </summary>
    internal static Tensor Erf(Tensor x)
    {
        const float p = 0.3275911f, a1 = 0.254829592f, a2 = -0.284496736f, a3 = 1.421413741f, a4 = -1.453152027f, a5 = 1.061405429f;
        var t = 1f / x.Abs().Mul(p).Add(1f);
        var poly = t.Mul(a5).Add(a4).Mul(t).Add(a3).Mul(t).Add(a2).Mul(t).Add(a1).Mul(t);
        var y = 1f - poly.Mul(x.Square().Neg().Exp());
        return Tensor.Where(x.Lt(0f), y.Neg(), y);
    }

    private static void Unary(Dictionary<string, Func<Node, Kernel>> d, string op, Func<Tensor, Tensor> f) =>
        d[op] = n => UnaryKernel(n, f);

    private static Kernel UnaryKernel(Node n, Func<Tensor, Tensor> f) => (ins, ctx) =>
    {
        var x = Node.In(ins, 0, n);
        if (!x.IsFloat) throw n.Error($"expects a float input, got {x.Describe()}");
        return [Value.Of(f(x.AsTensor(ctx.Device, n.Op)))];
    };

    private static Kernel Clip(Node n)
    {
        // Opset 11 moved min and max from attributes to optional inputs.
        float minAttr = n.Float("min", float.NegativeInfinity), maxAttr = n.Float("max", float.PositiveInfinity);
        return (ins, ctx) =>
        {
            var x = Node.In(ins, 0, n);
            float lo = minAttr, hi = maxAttr;
            if (ins.Length > 1 && ins[1] is { } mn) lo = Scalar(mn, n, "min");
            if (ins.Length > 2 && ins[2] is { } mx) hi = Scalar(mx, n, "max");
            if (x.IsHost)
            {
                if (x.Ints != null) return [Value.OfInts(x.Ints.Select(v => (long)Math.Clamp(v, lo, hi)).ToArray(), x.Shape, x.ElemType)];
                return [Value.OfFloats(x.Floats!.Select(v => Math.Clamp(v, lo, hi)).ToArray(), x.Shape)];
            }
            return [Value.Of(x.Tensor!.Clamp(lo, hi))];
        };
    }

    private static float Scalar(Value v, Node n, string what)
    {
        if (v.Numel != 1) throw n.Error($"{what} must be a scalar, got {v.Describe()}");
        return v.AsFloats()[0];
    }

    private static Kernel Cast(Node n)
    {
        int to = (int)n.Int("to", -1);
        if (!DataTypes.IsFloating(to) && !DataTypes.IsInteger(to))
            throw n.Error($"cast to {DataTypes.Name(to)} is not supported (float and integer types are)");
        return (ins, ctx) =>
        {
            var x = Node.In(ins, 0, n);
            if (DataTypes.IsFloating(to))
                return [x.IsFloat ? x : Value.OfFloats(x.AsFloats(), x.Shape)];
            if (to == DataTypes.Bool)
                return [Value.OfInts(x.AsFloats().Select(v => v != 0 ? 1L : 0L).ToArray(), x.Shape, DataTypes.Bool)];
            return [Value.OfInts(x.AsInts(n.Op), x.Shape, to)];
        };
    }

    internal enum BinOp { Add, Sub, Mul, Div, Pow, Equal, Less, Greater, LessOrEqual, GreaterOrEqual, And, Or }

    private static Kernel BinaryKernel(Node n, BinOp op) => (ins, ctx) => [Binary(Node.In(ins, 0, n), Node.In(ins, 1, n), op, n, ctx)];

    internal static Value Binary(Value a, Value b, BinOp op, Node n, RunContext ctx)
    {
        if (a.IsHost && b.IsHost) return HostBinary(a, b, op, n);
        // A host scalar that does not raise the rank becomes the scalar overload (one Affine instead of a broadcast).
        if (b.TryScalar(out var s) && b.Rank <= a.Rank && a.Tensor != null)
        {
            var t = a.Tensor;
            switch (op)
            {
                case BinOp.Add: return Value.Of(t.Add(s));
                case BinOp.Sub: return Value.Of(t.Sub(s));
                case BinOp.Mul: return Value.Of(t.Mul(s));
                case BinOp.Div: return Value.Of(t.Div(s));
                case BinOp.Pow: return Value.Of(t.Pow(s));
            }
        }
        if (a.TryScalar(out s) && a.Rank <= b.Rank && b.Tensor != null)
        {
            var t = b.Tensor;
            switch (op)
            {
                case BinOp.Add: return Value.Of(t.Add(s));
                case BinOp.Sub: return Value.Of(s - t);
                case BinOp.Mul: return Value.Of(t.Mul(s));
                case BinOp.Div: return Value.Of(s / t);
            }
        }
        Tensor x = a.AsTensor(ctx.Device, n.Op), y = b.AsTensor(ctx.Device, n.Op);
        try
        {
            return Value.Of(op switch
            {
                BinOp.Add => x.Add(y),
                BinOp.Sub => x.Sub(y),
                BinOp.Mul => x.Mul(y),
                BinOp.Div => x.Div(y),
                BinOp.Pow => x.Pow(y),
                BinOp.Equal => x.Eq(y),
                BinOp.Less => x.Lt(y),
                BinOp.Greater => x.Gt(y),
                BinOp.LessOrEqual => x.Le(y),
                BinOp.GreaterOrEqual => x.Ge(y),
                BinOp.And => x.Mul(y).Ne(0f),
                BinOp.Or => x.Add(y).Ne(0f),
                _ => throw n.Error($"unknown binary op {op}"),
            });
        }
        catch (ShapeException e) { throw n.Error(e.Message); }
    }

    private static Value HostBinary(Value a, Value b, BinOp op, Node n) => op switch
    {
        BinOp.Add => Host.Binary(a, b, n, (x, y) => x + y),
        BinOp.Sub => Host.Binary(a, b, n, (x, y) => x - y),
        BinOp.Mul => Host.Binary(a, b, n, (x, y) => x * y),
        // Integer division truncates toward zero (as ONNX Runtime's int64 Div does).
        BinOp.Div => a.Floats != null || b.Floats != null
            ? Host.Binary(a, b, n, (x, y) => x / y)
            : Host.Binary(a, b, n, (x, y) => y == 0 ? throw n.Error("integer division by zero") : Math.Truncate(x / y)),
        BinOp.Pow => Host.Binary(a, b, n, Math.Pow),
        BinOp.Equal => Host.Binary(a, b, n, (x, y) => x == y ? 1 : 0, toBool: true),
        BinOp.Less => Host.Binary(a, b, n, (x, y) => x < y ? 1 : 0, toBool: true),
        BinOp.Greater => Host.Binary(a, b, n, (x, y) => x > y ? 1 : 0, toBool: true),
        BinOp.LessOrEqual => Host.Binary(a, b, n, (x, y) => x <= y ? 1 : 0, toBool: true),
        BinOp.GreaterOrEqual => Host.Binary(a, b, n, (x, y) => x >= y ? 1 : 0, toBool: true),
        BinOp.And => Host.Binary(a, b, n, (x, y) => x != 0 && y != 0 ? 1 : 0, toBool: true),
        BinOp.Or => Host.Binary(a, b, n, (x, y) => x != 0 || y != 0 ? 1 : 0, toBool: true),
        _ => throw n.Error($"unknown binary op {op}"),
    };
}
