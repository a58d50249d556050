namespace Engine.Training;

/// <summary>
/// Automatic mixed precision with float32 master weights and dynamic loss scaling.
/// <list type="bullet">
/// <item>Before each forward pass the parameters are replaced by their float16 values (rounded as IEEE
///   half through Float16 storage), so the forward and backward passes see exactly the
///   weights a float16 model has; the float32 masters are put back before the optimizer step, which
///   applies the float32 gradients to them.</item>
/// <item>The loss is multiplied by the <see cref="LossScaler"/>'s scale before backward; gradients are
///   unscaled after it; a step whose gradients overflow is skipped and the scale halves.</item>
/// </list>
/// With <see cref="GradAccumulation"/> (give it before this callback) the scaled gradients accumulate and are
/// unscaled once, on the micro-batch that steps.
/// On the CPU the arithmetic stays float32 (this CPU has no fp16 arithmetic); the GPU backend stores and
/// computes in float16 where the device supports it. <see cref="Float16WeightBytes"/> and
/// <see cref="Float32WeightBytes"/> report the memory the half-precision weights take against float32.
/// </summary>
public sealed class MixedPrecision : Callback
{
    private readonly List<(Tensor param, Tensor master)> _masters = new();

    public MixedPrecision(LossScaler? scaler = null) => Scaler = scaler ?? new LossScaler();

    public LossScaler Scaler { get; }
    public long Float32WeightBytes { get; private set; }
    public long Float16WeightBytes { get; private set; }
    /// <summary>Bytes saved by holding the forward-pass weights in float16.</summary>
    public long BytesSaved => Float32WeightBytes - Float16WeightBytes;

    public override void OnTrainStart(TrainContext ctx)
    {
        var ps = ctx.Model.Parameters().Where(p => p.DType == DType.Float32).ToList();
        Float32WeightBytes = ps.Sum(p => (long)p.Numel * 4);
        Float16WeightBytes = ps.Sum(p => (long)p.Numel * 2);
    }

    public override void OnBatchStart(TrainContext ctx)
    {
        using var _ = Tensor.NoGrad();
        using (TensorScope.Suspend())
            foreach (var p in ctx.Model.Parameters())
            {
                if (p.DType != DType.Float32 || !p.RequiresGrad) continue;
                Tensor master;
                using (var view = p.Detach()) master = view.Clone().Keep();   // scopes are suspended: views disposed by hand
                using var detached = p.Detach();
                using var half = detached.ToDType(DType.Float16);
                using var rounded = half.ToDType(DType.Float32);
                p.SetData(rounded);
                _masters.Add((p, master));
            }
    }

    /// <summary>If training stopped between forward and backward, put the float32 masters back.</summary>
    public override void OnTrainExit(TrainContext ctx)
    {
        foreach (var (p, master) in _masters) { p.SetData(master); master.Dispose(); }
        _masters.Clear();
    }

    public override void OnLoss(TrainContext ctx) => ctx.Loss = Scaler.ScaleLoss(ctx.Loss);

    public override void AfterBackward(TrainContext ctx)
    {
        // Masters back in place before anything updates the weights.
        foreach (var (p, master) in _masters) { p.SetData(master); master.Dispose(); }
        _masters.Clear();
        if (ctx.SkipStep) return;                    // accumulating: unscale once, before the real step
        var ps = ctx.Optimizer.ParamGroups.SelectMany(g => g.Params).ToList();
        bool finite = Scaler.Unscale(ps);
        if (!finite)
        {
            ctx.SkipStep = true;
            foreach (var p in ps) p.ZeroGrad();
        }
        Scaler.Update(finite);
        ctx.History.LogStep("loss_scale", Scaler.Scale);
    }
}
