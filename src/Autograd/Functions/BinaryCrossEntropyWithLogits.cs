namespace Engine.Functions;

// Elementwise, unreduced. x logits, t targets in [0, 1], pw positive-class weight (broadcast over x), lw = 1 + (pw - 1) t:
//   loss = (1 - t) x + lw * softplus(-x),    softplus(-x) = max(-x, 0) + log(1 + exp(-|x|))   (stable for any |x|)
//   dx = dy * ((1 - t) - lw * sigmoid(-x))    dt = dy * (-x + (pw - 1) * softplus(-x))
// Hand-written backward: the composed form would get the kinks of |x| and max(-x, 0) wrong at x = 0 exactly.
internal sealed class BinaryCrossEntropyWithLogits : Function
{
    private Tensor _x = null!, _t = null!;
    private Tensor? _pw;

    public static Tensor Forward(Tensor x, Tensor t, Tensor? posWeight)
    {
        Check.SameDevice(x, t, "binary_cross_entropy_with_logits");
        if (x.Shape != t.Shape) throw new ShapeException($"binary_cross_entropy_with_logits: target {t.Shape} must have the shape of the logits {x.Shape}");
        if (t.DType == DType.Int32) throw new ArgumentException($"binary_cross_entropy_with_logits: targets must be float (0/1 or probabilities), got Int32 of shape {t.Shape}");
        if (posWeight != null) Check.SameDevice(x, posWeight, "binary_cross_entropy_with_logits");
        Tensor y;
        using (Autograd.NoGrad())
        {
            var sp = SoftplusNeg(x);
            var lw = posWeight == null ? null : posWeight.Sub(1f).Mul(t).Add(1f);
            y = t.Neg().Add(1f).Mul(x).Add(lw == null ? sp : lw.Mul(sp));
        }
        if (!Autograd.Needed(x, t)) return y;
        var fn = new BinaryCrossEntropyWithLogits();
        fn._x = fn.Save(x); fn._t = fn.Save(t); fn._pw = posWeight;
        return Autograd.Record(fn, y, x, t);
    }

    /// <summary>softplus(-x) = log(1 + exp(-x)) without overflow.</summary>
    private static Tensor SoftplusNeg(Tensor x) => x.Neg().Relu().Add(x.Abs().Neg().Exp().Add(1f).Log());

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        Tensor? dx = null, dt = null;
        var lw = _pw == null ? null : _pw.Sub(1f).Mul(_t).Add(1f);
        if (NeedsGrad(0))
        {
            var sNeg = _x.Neg().Sigmoid();
            dx = dy.Mul(_t.Neg().Add(1f).Sub(lw == null ? sNeg : lw.Mul(sNeg)));
        }
        if (NeedsGrad(1))
        {
            var g = _x.Neg();
            if (_pw != null) g = g.Add(_pw.Sub(1f).Mul(SoftplusNeg(_x)));
            dt = dy.Mul(g);
        }
        return [dx, dt];
    }

    protected override void ReleaseState() => _pw = null;
}
