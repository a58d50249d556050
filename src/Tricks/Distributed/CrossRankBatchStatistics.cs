using Engine.Functions;

namespace Engine.Distributed;

/// <summary>
/// BatchNorm's training statistics over the batches of every rank of a group (what makes a BatchNorm a
/// SyncBatchNorm): mean and biased variance per channel over all N = Σ_r n_r values, one all-reduce in forward
/// and one in backward. A 1-rank group normalizes its batch alone, exactly as BatchNorm (PyTorch's SyncBatchNorm
/// falls back to batch_norm there too).
/// </summary>
/// <remarks>
/// Every rank must run the same BatchNorm layers in the same order, forward and backward (MPI's rule for
/// collectives): a rank that skips a layer's forward, or whose loss does not reach it, leaves the others waiting.
/// </remarks>
public sealed class CrossRankBatchStatistics(ICommunicator communicator) : IBatchNormStatistics
{
    public ICommunicator Communicator { get; } = communicator ?? throw new ArgumentNullException(nameof(communicator));

    public (Tensor Xhat, Tensor Mean, Tensor Var, long Count) Normalize(Tensor input, int[] dims, float eps)
    {
        if (Communicator.Size == 1)
        {
            var (xhat, mean, var) = input.Normalize(dims, eps);
            return (xhat, mean, var, input.Numel / input.Shape[1]);
        }
        return SyncNormalize.Forward(input, dims, eps, Communicator);
    }
}
