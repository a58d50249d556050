namespace Engine.Distributed;

/// <summary>
/// The gradients of a list of parameters, flattened into a few preallocated float buckets (about
/// <c>bucketFloats</c> each, a parameter never split) so each bucket is one in-place all-reduce.
/// </summary>
/// <remarks>
/// Gradients are copied in (any device: a device-to-host download), summed over the ranks in place,
/// scaled by 1/Size and copied back. A parameter without a gradient on this rank contributes zeros, so
/// every rank calls the same collectives; after the reduction it gets the averaged gradient.
/// </remarks>
internal sealed class GradientBuckets
{
    private readonly Tensor[] _params;
    private readonly (int start, int end)[] _buckets;   // parameter ranges [start, end)
    private readonly int[] _offsets;                     // float offset of parameter i in its bucket
    private readonly float[][] _data;

    public GradientBuckets(IReadOnlyList<Tensor> parameters, int bucketFloats)
    {
        if (bucketFloats < 1) throw new ArgumentOutOfRangeException(nameof(bucketFloats), $"gradient buckets: size must be >= 1 float, got {bucketFloats}");
        _params = parameters.ToArray();
        _offsets = new int[_params.Length];
        var buckets = new List<(int, int)>();
        var sizes = new List<int>();
        int start = 0, fill = 0;
        for (int i = 0; i < _params.Length; i++)
        {
            if (fill > 0 && (long)fill + _params[i].Numel > bucketFloats)
            {
                buckets.Add((start, i)); sizes.Add(fill);
                start = i; fill = 0;
            }
            _offsets[i] = fill;
            fill += _params[i].Numel;
        }
        if (fill > 0 || start < _params.Length) { buckets.Add((start, _params.Length)); sizes.Add(fill); }
        _buckets = buckets.ToArray();
        _data = sizes.Select(n => new float[n]).ToArray();
    }

    public int Count => _buckets.Length;
    public long Floats => _data.Sum(d => (long)d.Length);

    /// <summary>grad_i ← (Σ over ranks grad_i) / Size for every parameter, bucket by bucket.</summary>
    public void AllreduceMean(ICommunicator comm)
    {
        if (comm.Size == 1) return;
        float scale = 1f / comm.Size;
        for (int b = 0; b < _buckets.Length; b++)
        {
            var (start, end) = _buckets[b];
            var data = _data[b];
            for (int i = start; i < end; i++)
            {
                var dst = data.AsSpan(_offsets[i], _params[i].Numel);
                if (_params[i].Grad is Tensor g) g.Backend.Download(g, dst);
                else dst.Clear();
            }
            comm.AllreduceSum(data);
            System.Numerics.Tensors.TensorPrimitives.Multiply(data, scale, data);
            for (int i = start; i < end; i++)
                TensorCopy.Write(_params[i], isGrad: true, data.AsSpan(_offsets[i], _params[i].Numel));
        }
    }
}

/// <summary>Host span → tensor, in place, on any device.</summary>
internal static class TensorCopy
{
    /// <summary>Writes values (row-major) into t, or into t's gradient (made when it has none).</summary>
    public static void Write(Tensor t, bool isGrad, ReadOnlySpan<float> values)
    {
        var target = isGrad ? t.Grad : t;
        if (target == null)
        {
            t.Grad = Tensor.Create(t.Backend.Upload(values), Layout.Contiguous(t.Shape));
            return;
        }
        if (target.DType == DType.Int32)
        {
            // integer buffers (BatchNorm's num_batches_tracked) travel as float: exact below 2^24
            var ints = new int[values.Length];
            for (int k = 0; k < ints.Length; k++) ints[k] = (int)values[k];
            using var ti = Tensor.Create(target.Backend.Upload(ints), Layout.Contiguous(target.Shape));
            target.Backend.Copy(ti, target);
            return;
        }
        if (target.Storage is CpuStorage cpu && target.IsContiguous && target.DType == DType.Float32)
        {
            values.CopyTo(cpu.Floats.AsSpan(target.Layout.Offset, target.Numel));
            target.Storage.BumpVersion();
            return;
        }
        using var tmp = Tensor.Create(target.Backend.Upload(values), Layout.Contiguous(target.Shape));
        target.Backend.Copy(tmp, target);
    }

    /// <summary>t's elements as float (Int32 converted).</summary>
    public static void Read(Tensor t, Span<float> dst)
    {
        if (t.DType == DType.Int32)
        {
            var ints = new int[t.Numel];
            t.Backend.Download(t, ints);
            for (int k = 0; k < ints.Length; k++) dst[k] = ints[k];
        }
        else t.Backend.Download(t, dst);
    }
}
