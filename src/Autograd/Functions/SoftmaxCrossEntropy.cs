namespace Engine.Functions;

// Per-row cross-entropy on logits, fused: x [M, C], t [M] Int32 (valid class indices)
//   loss_i = -log_softmax(x)[i, t_i] = logsumexp(x_i) - x[i, t_i]          (stable: log-softmax subtracts the max)
//   dx[i, :] = dy_i * (softmax(x_i) - onehot(t_i))
// One node with two passes over [M, C] in backward, instead of log-softmax + gather + scatter composed.
internal sealed class SoftmaxCrossEntropy : Function
{
    private Tensor _logp = null!, _index = null!;

    public static Tensor Forward(Tensor x, Tensor target)
    {
        Check.SameDevice(x, target, "softmax_cross_entropy");
        Check.Index1D(target, "softmax_cross_entropy");
        if (x.Rank != 2 || x.Shape[0] != target.Shape[0])
            throw new ShapeException($"softmax_cross_entropy: logits {x.Shape} must be [M, C] for targets {target.Shape} [M]");
        var logp = x.Backend.Softmax(x, 1, log: true);
        var index = target.Reshape(target.Shape[0], 1);
        Tensor y;
        using (Autograd.NoGrad()) y = x.Backend.Gather(logp, 1, index).Reshape(target.Shape[0]).Neg();
        if (!Autograd.Needed(x)) return y;
        var fn = new SoftmaxCrossEntropy();
        fn._logp = fn.Save(logp); fn._index = fn.Save(index);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        var dyCol = dy.Reshape(dy.Shape[0], 1);
        var dx = _logp.Exp().Mul(dyCol);                            // softmax * dy
        dx.Backend.ScatterAdd(dx, 1, _index, dyCol.Neg());          // - dy at the target class
        return [dx];
    }
}
