using Engine.Kernels.Ops;

namespace Engine.Bench;

/// <summary>
/// The CNN of DESIGN.md section 3 without dropout, written with the autograd API, and one Adam step:
/// conv(1->32,3,p1) relu maxpool2, conv(32->64,3,p1) relu maxpool2, flatten, linear(3136->128) relu, linear(128->10),
/// cross-entropy (log-softmax + gather), backward, Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8).
/// </summary>
internal sealed class SmallCnn
{
    private readonly Tensor _x, _y;
    private readonly Tensor[] _p, _m, _v;
    private int _t;
    private static readonly Conv2dArgs Pad1 = new(PadH: 1, PadW: 1);
    private static readonly Pool2dArgs Pool2 = new(2, 2, 2, 2);

    public SmallCnn(int batch)
    {
        _x = Tensor.Randn(batch, 1, 28, 28);
        var labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = i % 10;
        _y = Tensor.FromArray(labels, batch, 1);
        _p = [P(32, 1, 3, 3), P(32), P(64, 32, 3, 3), P(64), P(128, 3136), P(128), P(10, 128), P(10)];
        _m = _p.Select(p => Tensor.ZerosLike(p)).ToArray();
        _v = _p.Select(p => Tensor.ZerosLike(p)).ToArray();
    }

    private static Tensor P(params int[] shape) => (Tensor.Randn(shape) * 0.05f).RequiresGrad_();

    /// <summary>Forward FLOPs x 3 (forward, input gradients, weight gradients), less the first conv's input gradient.</summary>
    public static double Flops(int b)
    {
        double c1 = 2.0 * b * 32 * 28 * 28 * 9, c2 = 2.0 * b * 64 * 14 * 14 * 32 * 9, f1 = 2.0 * b * 3136 * 128, f2 = 2.0 * b * 128 * 10;
        return 2 * c1 + 3 * (c2 + f1 + f2);
    }

    public void Step() => StepOn(_x, _y);

    /// <summary>One Adam step on a batch: x [B,1,28,28], y Int32 [B,1].</summary>
    public void StepOn(Tensor x, Tensor y)
    {
        using var _ = Tensor.Scope();
        foreach (var p in _p) p.ZeroGrad();
        var h = x.Conv2d(_p[0], _p[1], Pad1).Relu().MaxPool2d(Pool2);
        h = h.Conv2d(_p[2], _p[3], Pad1).Relu().MaxPool2d(Pool2);
        h = (h.Reshape(h.Shape[0], 3136).Matmul(_p[4].T) + _p[5]).Relu();
        var logits = h.Matmul(_p[6].T) + _p[7];
        var loss = -logits.LogSoftmax(1).Gather(1, y).Mean();
        loss.Backward();
        Adam(1e-3f, 0.9f, 0.999f, 1e-8f);
    }

    private void Adam(float lr, float b1, float b2, float eps)
    {
        using var _ = Tensor.NoGrad();
        _t++;
        float bc1 = 1 - MathF.Pow(b1, _t), bc2 = 1 - MathF.Pow(b2, _t);
        for (int i = 0; i < _p.Length; i++)
        {
            var g = _p[i].Grad!;
            _m[i].Lerp_(g, b1, 1 - b1);                               // m = b1 m + (1-b1) g
            _v[i].Lerp_(g * g, b2, 1 - b2);                           // v = b2 v + (1-b2) g^2
            var denom = _v[i].Mul(1 / bc2).Sqrt().Apply_(new AffineOp(1, eps)); // sqrt(v / bc2) + eps
            _p[i].Add_(_m[i] / denom, -lr / bc1);                     // p -= lr/bc1 * m / denom
        }
    }
}
