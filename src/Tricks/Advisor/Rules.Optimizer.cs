namespace Engine.Training;

// Learning-rate and schedule rules.
public static partial class Advisor
{
    public const string AdamLrId = "adam-lr";
    public const string LinearScalingId = "linear-scaling";
    public const string ScheduleBeforeOverfitId = "schedule-before-overfit";
    public const string BackboneLrId = "backbone-lr";

    /// <summary>Adam's usual learning rate ("3e-4 is the best learning rate for Adam, hands down").</summary>
    public const double AdamGoodLr = 3e-4;
    /// <summary>Adam/AdamW learning rates below this are reported as far from 3e-4.</summary>
    public const double AdamMinLr = 1e-4;
    /// <summary>Adam/AdamW learning rates above this are reported as far from 3e-4.</summary>
    public const double AdamMaxLr = 1e-3;
    /// <summary>Relative difference from the linearly scaled lr that still counts as following the rule.</summary>
    public const double ScalingTolerance = 0.1;
    /// <summary>The backbone should learn at most this fraction of the head's lr (typically 0.01-0.1).</summary>
    public const double MaxBackboneToHeadLr = 0.5;

    /// <summary>Adam or AdamW with a learning rate outside 1e-4..1e-3 (the largest group lr is checked; backbone groups may be lower).</summary>
    public static IEnumerable<Finding> AdamLr(Module model, IReadOnlyList<(string Name, Module Module)> layers, AdvisorOptions o)
    {
        var opt = OptimizerName(o);
        if (opt is not ("adam" or "adamw")) yield break;
        var lrs = Groups(model, o).Where(g => g.Lr is not null && g.Params.Count > 0).Select(g => g.Lr!.Value).ToList();
        if (lrs.Count == 0) yield break;
        double lr = lrs.Max();
        if (lr >= AdamMinLr && lr <= AdamMaxLr) yield break;
        yield return new(AdamLrId, Severity.Warning,
            $"{opt} with learning rate {N(lr)}, outside {N(AdamMinLr)}..{N(AdamMaxLr)}; Adam's usual starting point is {N(AdamGoodLr)}. " +
            (lr > AdamMaxLr ? "Such a large step often diverges or plateaus early." : "Such a small step trains very slowly.") +
            $" Start from {N(AdamGoodLr)} (or find it with an lr range test).");
    }

    /// <summary>
    /// The batch size differs from the recipe's but the lr was not rescaled by the linear scaling
    /// rule lr = baseLr · batch / baseBatch (Goyal et al. 2017); the square-root rule is accepted too.
    /// </summary>
    public static IEnumerable<Finding> LinearScalingRule(Module model, IReadOnlyList<(string Name, Module Module)> layers, AdvisorOptions o)
    {
        if (o.BatchSize is not { } b || o.BaseBatch is not { } bb || o.BaseLr is not { } blr || b == bb) yield break;
        var lrs = Groups(model, o).Where(g => g.Lr is not null && g.Params.Count > 0).Select(g => g.Lr!.Value).ToList();
        if (lrs.Count == 0) yield break;
        double lr = lrs.Max();
        double linear = LinearScaling.Lr(blr, bb, b), sqrt = LinearScaling.SqrtLr(blr, bb, b);
        if (Math.Abs(lr / linear - 1) <= ScalingTolerance || Math.Abs(lr / sqrt - 1) <= ScalingTolerance) yield break;
        yield return new(LinearScalingId, Severity.Warning,
            $"batch size {b} differs from the recipe's {bb} but the learning rate {N(lr)} was not rescaled; with the linear scaling rule " +
            $"lr = {N(blr)} * {b}/{bb} = {N(linear)} (square-root rule for adaptive optimizers: {N(sqrt)}). Use LinearScaling.Lr(baseLr, baseBatch, batch), with a warmup for large batches.");
    }

    /// <summary>Warmup or a scheduler on a setup that has not yet passed the overfit-one-batch check.</summary>
    public static IEnumerable<Finding> ScheduleBeforeOverfit(Module model, IReadOnlyList<(string Name, Module Module)> layers, AdvisorOptions o)
    {
        if (!o.WarmupOrScheduler || o.OverfitOneBatchPassed == true) yield break;
        yield return new(ScheduleBeforeOverfitId, Severity.Info,
            (o.OverfitOneBatchPassed == false ? "the setup failed the overfit-one-batch check" : "the setup has not been through the overfit-one-batch check") +
            " but uses warmup or an lr scheduler. Get a constant learning rate to drive one batch's loss to ~0 first " +
            "(OverfitOneBatch.Run); schedules add moving parts that hide bugs.");
    }

    /// <summary>Transfer learning whose pretrained backbone learns at (nearly) the head's learning rate.</summary>
    public static IEnumerable<Finding> BackboneLr(Module model, IReadOnlyList<(string Name, Module Module)> layers, AdvisorOptions o)
    {
        double? bl = o.BackboneLr, hl = o.HeadLr;
        if (o.Backbone is { } bm && o.Head is { } hm)
        {
            bl ??= LrOf(model, o, bm, trainableOnly: true);
            hl ??= LrOf(model, o, hm, trainableOnly: false);
        }
        if (bl is not { } b || hl is not { } h || h <= 0 || b <= MaxBackboneToHeadLr * h) yield break;
        yield return new(BackboneLrId, Severity.Warning,
            $"the pretrained backbone learns at lr {N(b)}, {N(b / h)}x the head's {N(h)}; large updates wash out the pretrained features. " +
            $"Give the backbone 0.01-0.1x the head's lr (ParamGroups.Backbone(backbone, lr: {N(h / 10)}).Head(head, lr: {N(h)})) or freeze it for the first epochs.");
    }

    /// <summary>The largest lr of the groups holding m's parameters (only those that require grad when trainableOnly); null if none.</summary>
    private static double? LrOf(Module model, AdvisorOptions o, Module m, bool trainableOnly)
    {
        var own = new HashSet<Tensor>(m.Parameters().Where(p => !trainableOnly || p.RequiresGrad), ReferenceEqualityComparer.Instance);
        var lrs = Groups(model, o).Where(g => g.Lr is not null && g.Params.Any(own.Contains)).Select(g => g.Lr!.Value).ToList();
        return lrs.Count == 0 ? null : lrs.Max();
    }
}
