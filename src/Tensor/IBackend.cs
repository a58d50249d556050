namespace Engine;

/// <summary>
/// The primitive ops a device implements. Everything else (autograd, layers, losses) is
/// composed from these. Inputs are tensors viewed through their <see cref="Layout"/>: a
/// backend must accept any strides (including 0 for broadcast) and should have a fast path
/// for contiguous data. Outputs are new contiguous tensors unless the method says "in place".
/// Backends know nothing of gradients; hand-written gradients and fused cells are the optional
/// <see cref="IFusedKernels"/>, which autograd uses where a backend has it.
/// </summary>
public partial interface IBackend
{
    Device Device { get; }

    // ---- memory ----------------------------------------------------------------------
    Storage Allocate(DType dtype, int length, bool zero);
    Storage Upload(ReadOnlySpan<float> data);
    Storage Upload(ReadOnlySpan<int> data);
    Storage Upload(ReadOnlySpan<Half> data);
    /// <summary>Reads a (possibly strided) float32/float16 tensor into a dense row-major host span, as float.</summary>
    void Download(Tensor src, Span<float> dst);
    /// <summary>Reads a (possibly strided) Int32 tensor into a dense row-major host span.</summary>
    void Download(Tensor src, Span<int> dst);

    // ---- copies ----------------------------------------------------------------------
    /// <summary>In place: dst[i] = src[i] for every index; shapes equal, strides arbitrary, dtypes may differ (converted).</summary>
    void Copy(Tensor src, Tensor dst);
    /// <summary>In place: every element of dst (any strides) set to value.</summary>
    void Fill(Tensor dst, float value);

    // ---- elementwise -----------------------------------------------------------------
    Tensor Map<TOp>(Tensor x, TOp op) where TOp : struct, IUnaryOp;
    /// <summary>op(a, b) with NumPy broadcasting of a and b.</summary>
    Tensor Zip<TOp>(Tensor a, Tensor b, TOp op) where TOp : struct, IBinaryOp;
    /// <summary>In place: a = op(a); a must not overlap itself (no stride-0 dims).</summary>
    void MapInPlace<TOp>(Tensor a, TOp op) where TOp : struct, IUnaryOp;
    /// <summary>In place: a = op(a, b), b broadcast to a's shape.</summary>
    void ZipInPlace<TOp>(Tensor a, Tensor b, TOp op) where TOp : struct, IBinaryOp;
    /// <summary>cond != 0 ? a : b, all three broadcast together.</summary>
    Tensor Where(Tensor cond, Tensor a, Tensor b);

    // ---- reductions ------------------------------------------------------------------
    /// <summary>Sum / max / min over the given (normalized, distinct) dims.</summary>
    Tensor Reduce(ReduceKind kind, Tensor x, int[] dims, bool keepDim);
    /// <summary>Index of the max (or min) along dim, as an Int32 tensor; first index wins ties.</summary>
    Tensor ArgReduce(bool max, Tensor x, int dim, bool keepDim);
    /// <summary>Numerically stable softmax (or log-softmax) along dim: exp(x - max) / sum.</summary>
    Tensor Softmax(Tensor x, int dim, bool log);

    // ---- linear algebra --------------------------------------------------------------
    /// <summary>Batched product: a [B,M,K] x b [B,K,N] -> [B,M,N]. Any strides (batch stride 0 broadcasts).</summary>
    Tensor Matmul(Tensor a, Tensor b);

    // ---- indexing --------------------------------------------------------------------
    /// <summary>Slices of x along dim at the Int32 indices (1-D).</summary>
    Tensor IndexSelect(Tensor x, int dim, Tensor index);
    /// <summary>In place: dst.narrow(dim, index[i], 1) += src.narrow(dim, i, 1) for each i (duplicates add).</summary>
    void IndexAdd(Tensor dst, int dim, Tensor index, Tensor src);
    /// <summary>out[..i..] = x[..index[..i..]..] along dim (PyTorch gather); index is Int32 with x's rank.</summary>
    Tensor Gather(Tensor x, int dim, Tensor index);
    /// <summary>In place: dst[..index[..i..]..] += src[..i..] along dim (PyTorch scatter_add_).</summary>
    void ScatterAdd(Tensor dst, int dim, Tensor index, Tensor src);
}
