namespace Engine.Functions;

// Standardization over a set of dims (the core of batch norm and layer norm), n = elements per group:
//   mean = sum(x)/n, var = sum((x - mean)^2)/n (biased), invstd = 1/sqrt(var + eps), xhat = (x - mean) * invstd
//   dx = invstd * (dy - mean(dy) - xhat * mean(dy * xhat))          (means over the same dims)
// One node instead of the ~8 of the composed form; saves xhat and invstd only.
internal sealed class Normalize : Function
{
    private Tensor _xhat = null!, _invstd = null!;
    private int[] _dims = [];

    /// <summary>Returns (xhat, mean, biased var); mean and var keep the reduced dims as size 1 and are not differentiable.</summary>
    public static (Tensor xhat, Tensor mean, Tensor var) Forward(Tensor x, int[] dims, float eps)
    {
        dims = Reduction.Dims(x, dims, "normalize");
        Tensor xhat, mean, var, invstd;
        using (Autograd.NoGrad())
        {
            mean = x.Mean(dims, keepDim: true);
            var centered = x.Sub(mean);
            var = centered.Square().Mean(dims, keepDim: true);
            invstd = var.Add(eps).Pow(-0.5f);
            xhat = centered.Mul(invstd);
        }
        if (!Autograd.Needed(x)) return (xhat, mean, var);
        var fn = new Normalize { _dims = dims };
        fn._xhat = fn.Save(xhat); fn._invstd = fn.Save(invstd);
        Autograd.Record(fn, xhat, x);
        return (xhat, mean, var);
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        var meanDy = dy.Mean(_dims, keepDim: true);
        var meanDyXhat = dy.Mul(_xhat).Mean(_dims, keepDim: true);
        return [dy.Sub(meanDy).Sub(_xhat.Mul(meanDyXhat)).Mul(_invstd)];
    }
}
