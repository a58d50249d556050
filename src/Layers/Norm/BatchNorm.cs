namespace Engine;

/// <summary>
/// Batch normalization over the channel dim 1: y = (x - mean) / sqrt(var + eps) * weight + bias.
/// Training uses the batch's mean and biased variance over every dim but 1, and updates
/// running_mean/running_var with running = (1 - momentum) running + momentum * batch (unbiased
/// variance), or a cumulative average when momentum is null. Eval uses the running statistics.
/// Buffers and parameters are named as PyTorch's: weight, bias, running_mean, running_var, num_batches_tracked.
/// </summary>
public abstract class BatchNormBase : Module
{
    public int NumFeatures { get; }
    public double Eps { get; }
    public double? Momentum { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }
    public Tensor? RunningMean { get; }
    public Tensor? RunningVar { get; }
    /// <summary>Int32 scalar: how many training batches updated the running statistics.</summary>
    public Tensor? NumBatchesTracked { get; }

    protected BatchNormBase(int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats)
    {
        if (numFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(numFeatures), $"{GetType().Name}: numFeatures must be positive, got {numFeatures}");
        (NumFeatures, Eps, Momentum) = (numFeatures, eps, momentum);
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(numFeatures));
            Bias = RegisterParameter("bias", Tensor.Zeros(numFeatures));
        }
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(numFeatures));
            RunningVar = RegisterBuffer("running_var", Tensor.Ones(numFeatures));
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Zeros(Shape.Scalar, dtype: DType.Int32));
        }
    }

    /// <summary>
    /// Where the training-mode statistics come from: null (the default) is this batch alone; a cross-rank one
    /// (Engine.Distributed's <c>SyncBatchNorm.ConvertSyncBatchNorm</c>) takes them over every rank's batch.
    /// </summary>
    public IBatchNormStatistics? Statistics { get; set; }

    /// <summary>num_batches_tracked may be missing from a strict load (PyTorch allows it); it then keeps its count.</summary>
    protected override bool IsOptionalInStateDict(string name) => name == "num_batches_tracked";

    /// <summary>The input ranks this layer accepts (2/3 for 1d, 4 for 2d).</summary>
    protected abstract bool AcceptsRank(int rank);

    public override Tensor Forward(Tensor input)
    {
        if (!AcceptsRank(input.Rank) || input.Shape[1] != NumFeatures)
            throw new ShapeException($"{GetType().Name}({NumFeatures}): input {input.Shape} must have {NumFeatures} channels in dim 1 and a rank this layer accepts");
        var dims = Enumerable.Range(0, input.Rank).Where(d => d != 1).ToArray();
        var bshape = Enumerable.Range(0, input.Rank).Select(d => d == 1 ? NumFeatures : 1).ToArray();   // [1, C, 1, ...]
        bool useBatch = Training || RunningMean == null;
        Tensor y;
        if (useBatch)
        {
            long n = input.Numel / NumFeatures;
            Tensor xhat, mean, var;
            if (Statistics != null && Training) (xhat, mean, var, n) = Statistics.Normalize(input, dims, (float)Eps);   // n: values per channel over all batches
            else (xhat, mean, var) = input.Normalize(dims, (float)Eps);               // var biased, as the normalization uses
            if (Training && n <= 1) throw new ShapeException($"{GetType().Name}: expected more than 1 value per channel in training, got input {input.Shape}{(Statistics != null && Training ? " (over all ranks)" : "")}");
            y = xhat;
            if (Training && RunningMean != null) UpdateRunning(mean, var, n);
        }
        else
        {
            // Eval folds everything into one per-channel affine map (two passes over the input):
            // scale = weight / sqrt(running_var + eps), shift = bias - running_mean * scale.
            var scale = RunningVar!.Add((float)Eps).Pow(-0.5f);
            if (Weight != null) scale = scale.Mul(Weight);
            var shift = RunningMean!.Mul(scale).Neg();
            if (Bias != null) shift = shift.Add(Bias);
            return input.Mul(scale.Reshape(bshape)).Add(shift.Reshape(bshape));
        }
        if (Weight != null) y = y.Mul(Weight.Reshape(bshape)).Add(Bias!.Reshape(bshape));
        return y;
    }

    private void UpdateRunning(Tensor mean, Tensor var, long n)
    {
        using var _ = Autograd.NoGrad();
        int tracked = (int)NumBatchesTracked!.Item() + 1;
        NumBatchesTracked.Fill_(tracked);
        float m = (float)(Momentum ?? 1.0 / tracked);
        var unbiased = var.Reshape(NumFeatures).Mul((float)n / (n - 1));
        RunningMean!.Lerp_(mean.Reshape(NumFeatures), 1 - m, m);
        RunningVar!.Lerp_(unbiased, 1 - m, m);
    }

    public override string ExtraRepr() => $"{NumFeatures}, eps={Eps}, momentum={(Momentum?.ToString() ?? "None")}, affine={Weight != null}, trackRunningStats={RunningMean != null}";
}

/// <summary>
/// The batch statistics of a <see cref="BatchNormBase"/> in training, when they are not this batch's alone
/// (SyncBatchNorm: over the batches of every rank).
/// </summary>
public interface IBatchNormStatistics
{
    /// <summary>
    /// xhat = (x - mean) / sqrt(var + eps), differentiable in x; mean and the biased var keep the reduced dims as
    /// size 1 and are not differentiable; count is the number of values per channel they were taken over.
    /// </summary>
    (Tensor Xhat, Tensor Mean, Tensor Var, long Count) Normalize(Tensor input, int[] dims, float eps);
}

/// <summary>Batch norm over [N, C] or [N, C, L] (statistics per channel C).</summary>
public sealed class BatchNorm1d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats)
{
    protected override bool AcceptsRank(int rank) => rank is 2 or 3;
}

/// <summary>Batch norm over [N, C, H, W] (statistics per channel C).</summary>
public sealed class BatchNorm2d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats)
{
    protected override bool AcceptsRank(int rank) => rank == 4;
}
