namespace Engine.Functions;

// Layer norm over the last n elements of each row through the backend's fused kernel (ILayerNormKernels):
//   y = (x - mean) rstd w + b,  rstd = 1/sqrt(var + eps)  (biased variance per row)
//   dx = rstd (g - mean(g) - xhat mean(g xhat)) with g = dy w;  dw = sum_rows dy xhat;  db = sum_rows dy
// Saves x, mean and rstd per row ([R] each), not the normalized tensor. w and b have the normalized shape.
internal sealed class FusedLayerNorm : Function
{
    private Tensor _x = null!, _mean = null!, _rstd = null!;
    private Tensor? _w;
    private int _n;
    private bool _hasW, _hasB;

    public static Tensor Forward(Tensor x, Tensor? weight, Tensor? bias, int n, float eps)
    {
        if (weight != null) Check.SameDevice(x, weight, "layer_norm");
        if (bias != null) Check.SameDevice(x, bias, "layer_norm");
        var kernels = (ILayerNormKernels)x.Backend;
        var (y, mean, rstd) = kernels.LayerNormForward(x, weight, bias, n, eps);
        if (!Autograd.Needed(x, weight, bias)) { mean.Dispose(); rstd.Dispose(); return y; }
        var fn = new FusedLayerNorm { _n = n, _hasW = weight != null, _hasB = bias != null };
        fn._x = fn.Save(x); fn._mean = fn.Save(mean); fn._rstd = fn.Save(rstd);
        if (weight != null) fn._w = fn.Save(weight);
        Tensor[] inputs = weight != null && bias != null ? [x, weight, bias] : weight != null ? [x, weight] : bias != null ? [x, bias] : [x];
        return Autograd.Record(fn, y, inputs);
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        var kernels = (ILayerNormKernels)_x.Backend;
        int wi = _hasW ? 1 : -1, bi = _hasB ? (_hasW ? 2 : 1) : -1;   // Inputs: x, then w and b where given
        var (dx, dw, db) = kernels.LayerNormBackward(dy, _x, _mean, _rstd, _w, _n, wi > 0 && NeedsGrad(wi), bi > 0 && NeedsGrad(bi));
        var grads = new Tensor?[Inputs.Length];
        grads[0] = NeedsGrad(0) ? dx : null;
        if (!NeedsGrad(0)) dx.Dispose();
        if (wi > 0) grads[wi] = dw?.Reshape(Inputs[wi].Shape.ToArray());
        if (bi > 0) grads[bi] = db?.Reshape(Inputs[bi].Shape.ToArray());
        return grads;
    }
}
