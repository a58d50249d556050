namespace Engine.Training;

/// <summary>
/// Gradient accumulation: K micro-batches of size B give the update of one batch of K*B (for
/// mean-reduced losses, up to float rounding). Each micro-batch loss is divided by K so the summed
/// gradients equal the mean over K*B; the optimizer steps on every K-th micro-batch only.
/// An epoch whose batch count is not a multiple of K ends with a smaller accumulated step, so no
/// gradient is lost or carried into the next epoch.
/// </summary>
public sealed class GradAccumulation : Callback
{
    private int _pending;

    public GradAccumulation(int steps)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), $"gradient accumulation: steps must be >= 1, got {steps}");
        Steps = steps;
    }

    public int Steps { get; }

    public override void OnEpochStart(TrainContext ctx) => _pending = 0;

    public override void OnLoss(TrainContext ctx)
    {
        if (Steps > 1) ctx.Loss = ctx.Loss.Div(Steps);
    }

    public override void AfterBackward(TrainContext ctx)
    {
        _pending++;
        if (_pending < Steps) ctx.SkipStep = true;
        else _pending = 0;
    }

    public override void OnEpochEnd(TrainContext ctx)
    {
        if (_pending == 0) return;
        // A last partial group: its gradients are the sum of _pending micro-batches / K; rescale to their mean.
        using (Tensor.NoGrad())
            foreach (var p in ctx.Optimizer.ParamGroups.SelectMany(g => g.Params))
                p.Grad?.Mul_((float)Steps / _pending);
        ctx.Trainer.Find<DistributedDataParallel>()?.ReduceGradients();   // data-parallel: every rank steps on the average
        ctx.Optimizer.Step();
        ctx.Optimizer.ZeroGrad();
        ctx.OptimizerSteps++;
        _pending = 0;
    }
}
