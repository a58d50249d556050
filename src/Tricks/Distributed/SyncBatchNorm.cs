using Engine.Distributed;

namespace Engine;

/// <summary>
/// Batch normalization whose training statistics are taken over the batches of every rank (PyTorch's
/// nn.SyncBatchNorm): with R ranks at batch B it computes what one BatchNorm computes at batch R·B — the
/// forward pass, the input and weight gradients and the running statistics. Over the channel dim 1 of an input of
/// any rank ≥ 2 ([N, C], [N, C, L], [N, C, H, W], ...):
/// y = (x - mean) / sqrt(var + eps) * weight + bias, mean and biased var over all ranks' values of a channel.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Forward: one all-reduce of every rank's per-channel Σx, Σx² and count; backward: one all-reduce of Σdy and
///   Σdy·xhat (see <see cref="CrossRankBatchStatistics"/>). Every rank must run the layer in the same order.</item>
/// <item>The running statistics are updated from the global mean and unbiased variance (N values), so they are the
///   same on every rank. Eval uses them and is identical to BatchNorm1d/2d; eval without running statistics
///   normalizes each rank's batch alone, as PyTorch.</item>
/// <item>Parameters and buffers have BatchNorm's names (weight, bias, running_mean, running_var,
///   num_batches_tracked): checkpoints move between BatchNorm and SyncBatchNorm models.</item>
/// <item>A 1-rank group (<see cref="LocalCommunicator"/>) is exactly BatchNorm.</item>
/// </list>
/// </remarks>
public sealed class SyncBatchNorm : BatchNormBase
{
    /// <param name="numFeatures">C, the channels (dim 1).</param>
    /// <param name="communicator">the ranks whose batches are normalized together (PyTorch's process_group).</param>
    public SyncBatchNorm(int numFeatures, ICommunicator communicator, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        Statistics = new CrossRankBatchStatistics(communicator);
    }

    protected override bool AcceptsRank(int rank) => rank >= 2;

    /// <summary>
    /// Makes every BatchNorm layer of module (BatchNorm1d, BatchNorm2d, at any depth) take its training statistics
    /// over the ranks of communicator, keeping its weights and running statistics; returns module.
    /// </summary>
    /// <remarks>
    /// PyTorch's convert_sync_batchnorm swaps the layer objects for SyncBatchNorm ones. Here the layers are converted
    /// in place instead (<see cref="BatchNormBase.Statistics"/>): models keep typed references to their layers
    /// (ResidualBlock.Bn1 is a BatchNorm2d), and a swapped child would silently leave such a reference
    /// unsynchronized. Names, state dicts and optimizers built before the call are unchanged. Convert before
    /// training starts, on every rank.
    /// </remarks>
    public static T ConvertSyncBatchNorm<T>(T module, ICommunicator communicator) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(communicator);
        var stats = new CrossRankBatchStatistics(communicator);
        foreach (var (_, m) in module.NamedModules())
            if (m is BatchNormBase bn) bn.Statistics = stats;
        return module;
    }

    public override string ExtraRepr() => base.ExtraRepr() + (Statistics is CrossRankBatchStatistics s ? $", ranks={s.Communicator.Size}" : "");
}
