namespace Engine;

/// <summary>
/// The linear scaling rule (Goyal et al. 2017, "Accurate, Large Minibatch SGD"): when the batch grows
/// k times, grow the learning rate k times, η = η_base · batch / baseBatch. It holds for SGD up to
/// batches of about 8k with a warmup (see <see cref="LinearWarmup"/>); for Adam the square-root rule
/// (<see cref="SqrtLr"/>) is the usual choice.
/// </summary>
public static class LinearScaling
{
    /// <summary>η_base · batch / baseBatch; <c>LinearScaling.Lr(baseLr: 0.1, baseBatch: 256, batch: 1024)</c> is 0.4.</summary>
    public static double Lr(double baseLr, int baseBatch, int batch)
    {
        Check(baseBatch, batch);
        return baseLr * batch / baseBatch;
    }

    /// <summary>η_base · sqrt(batch / baseBatch), the square-root rule for adaptive optimizers.</summary>
    public static double SqrtLr(double baseLr, int baseBatch, int batch)
    {
        Check(baseBatch, batch);
        return baseLr * Math.Sqrt((double)batch / baseBatch);
    }

    private static void Check(int baseBatch, int batch)
    {
        if (baseBatch < 1) throw new ArgumentOutOfRangeException(nameof(baseBatch), baseBatch, "LinearScaling: baseBatch must be >= 1");
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "LinearScaling: batch must be >= 1");
    }
}
