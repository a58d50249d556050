using Engine.Distributed;

namespace Engine.Functions;

// Standardization per channel c (dim 1) over the values of every rank (shape letters: N batch, C channels, the rest
// spatial; dims = every dim but 1). Rank r holds n_r values per channel, N = Σ_r n_r.
// forward, one all-reduce of [Σx (C), Σx² (C), n (2 floats)]:
//   mean = Σ_all x / N,  var = Σ_all x² / N - mean² (biased),  invstd = 1/sqrt(var + eps),  xhat = (x - mean) invstd
// backward, one all-reduce of [Σdy (C), Σdy·xhat (C)] (PyTorch's batch_norm_backward_reduce + all_reduce):
//   dx = invstd (dy - Σ_all dy / N - xhat Σ_all(dy xhat) / N)
// dy on rank r is ∂L_r/∂xhat of its own loss, so dx is ∂(Σ_r L_r)/∂x: the sums over ranks carry the other ranks'
// losses back through the shared mean and variance. (With each L_r a mean over its shard, DDP's average of the
// parameter gradients then gives the gradient of the global mean loss.)
// The sums and the count travel as float: the count is split in 12-bit halves so it stays exact up to 2^36 values.
internal sealed class SyncNormalize : Function
{
    private Tensor _xhat = null!, _invstd = null!;
    private int[] _dims = [];
    private ICommunicator _comm = null!;
    private double _count;

    public static (Tensor Xhat, Tensor Mean, Tensor Var, long Count) Forward(Tensor x, int[] dims, float eps, ICommunicator comm)
    {
        int c = x.Shape[1];
        long local = x.Numel / c;
        var buf = new float[2 * c + 2];
        Tensor xhat, mean, var, invstd;
        long count;
        using (Autograd.NoGrad())
        {
            x.Backend.Download(x.Sum(dims), buf.AsSpan(0, c));
            x.Backend.Download(x.Square().Sum(dims), buf.AsSpan(c, c));
            buf[2 * c] = local >> 12;
            buf[2 * c + 1] = local & 0xFFF;
            comm.AllreduceSum(buf);
            count = ((long)buf[2 * c] << 12) + (long)buf[2 * c + 1];
            if (count <= 1)   // every rank sees the same count, so every rank stops here
                throw new ShapeException($"SyncBatchNorm: expected more than 1 value per channel over all {comm.Size} ranks in training, got {count} (input {x.Shape} on rank {comm.Rank})");
            var m = new float[c];
            var v = new float[c];
            var s = new float[c];
            for (int k = 0; k < c; k++)
            {
                double mk = buf[k] / (double)count;
                double vk = Math.Max(buf[c + k] / (double)count - mk * mk, 0);   // cancellation-safe floor: var >= 0
                (m[k], v[k], s[k]) = ((float)mk, (float)vk, (float)(1 / Math.Sqrt(vk + eps)));
            }
            var bshape = Enumerable.Range(0, x.Rank).Select(d => d == 1 ? c : 1).ToArray();   // [1, C, 1, ...]
            mean = Tensor.FromArray(m, bshape, x.Device);
            var = Tensor.FromArray(v, bshape, x.Device);
            invstd = Tensor.FromArray(s, bshape, x.Device);
            xhat = x.Sub(mean).Mul(invstd);
        }
        if (!Autograd.Needed(x)) return (xhat, mean, var, count);
        var fn = new SyncNormalize { _dims = dims, _comm = comm, _count = count };
        fn._xhat = fn.Save(xhat); fn._invstd = fn.Save(invstd);
        Autograd.Record(fn, xhat, x);
        return (xhat, mean, var, count);
    }

    protected override Tensor?[] Backward(Tensor dy)
    {
        int c = _xhat.Shape[1];
        var buf = new float[2 * c];
        dy.Backend.Download(dy.Sum(_dims), buf.AsSpan(0, c));
        dy.Backend.Download(dy.Mul(_xhat).Sum(_dims), buf.AsSpan(c, c));
        _comm.AllreduceSum(buf);
        var meanDy = new float[c];
        var meanDyXhat = new float[c];
        for (int k = 0; k < c; k++) (meanDy[k], meanDyXhat[k]) = ((float)(buf[k] / _count), (float)(buf[c + k] / _count));
        var bshape = _invstd.Shape.ToArray();
        var mdy = Tensor.FromArray(meanDy, bshape, dy.Device);
        var mdyx = Tensor.FromArray(meanDyXhat, bshape, dy.Device);
        return [dy.Sub(mdy).Sub(_xhat.Mul(mdyx)).Mul(_invstd)];
    }
}
