namespace Engine.Training;

/// <summary>Clips gradients after backward: by global L2 norm (logged as "grad_norm") or by value.</summary>
public sealed class GradClipping : Callback
{
    private GradClipping(float? maxNorm, float? clipValue) { MaxNorm = maxNorm; ClipValue = clipValue; }

    /// <summary>Rescales all gradients so their global L2 norm is at most maxNorm.</summary>
    public static GradClipping ByNorm(float maxNorm) =>
        maxNorm > 0 ? new(maxNorm, null) : throw new ArgumentOutOfRangeException(nameof(maxNorm), $"gradient clipping: max norm must be positive, got {maxNorm}");

    /// <summary>Clamps every gradient element into [-clip, clip].</summary>
    public static GradClipping ByValue(float clip) =>
        clip > 0 ? new(null, clip) : throw new ArgumentOutOfRangeException(nameof(clip), $"gradient clipping: clip value must be positive, got {clip}");

    public float? MaxNorm { get; }
    public float? ClipValue { get; }

    public override void AfterBackward(TrainContext ctx)
    {
        if (ctx.SkipStep) return;                     // clip the full accumulated gradient, right before the step
        var ps = ctx.Optimizer.ParamGroups.SelectMany(g => g.Params);
        if (MaxNorm is float n) ctx.History.LogStep("grad_norm", GradClip.ClipGradNorm(ps, n));
        else GradClip.ClipGradValue(ps, ClipValue!.Value);
    }
}
