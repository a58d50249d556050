namespace Engine.Training;

/// <summary>
/// Dynamic loss scaling for mixed precision (PyTorch's GradScaler): the loss is multiplied by
/// <see cref="Scale"/> before backward so small float16 gradients do not flush to zero; gradients are
/// divided back before the step. When any gradient is NaN/Inf the step is skipped and the scale
/// halves; after <see cref="GrowthInterval"/> clean steps it doubles.
/// </summary>
public sealed class LossScaler
{
    public LossScaler(float initScale = 65536f, float growthFactor = 2f, float backoffFactor = 0.5f, int growthInterval = 2000)
    {
        if (initScale <= 0 || growthFactor <= 1 || backoffFactor <= 0 || backoffFactor >= 1 || growthInterval < 1)
            throw new ArgumentException($"loss scaler: invalid settings (scale {initScale}, growth {growthFactor}, backoff {backoffFactor}, interval {growthInterval})");
        Scale = initScale; GrowthFactor = growthFactor; BackoffFactor = backoffFactor; GrowthInterval = growthInterval;
    }

    public float Scale { get; private set; }
    public float GrowthFactor { get; }
    public float BackoffFactor { get; }
    public int GrowthInterval { get; }
    /// <summary>Clean steps since the last change of scale.</summary>
    public int GoodSteps { get; private set; }
    /// <summary>Steps skipped because of overflow, in total.</summary>
    public int SkippedSteps { get; private set; }

    /// <summary>loss * scale, to call Backward on.</summary>
    public Tensor ScaleLoss(Tensor loss) => loss.Mul(Scale);

    /// <summary>Divides every gradient by the scale; returns false when any is NaN or Inf (the step must be skipped).</summary>
    public bool Unscale(IEnumerable<Tensor> parameters)
    {
        bool finite = true;
        using var _ = Tensor.NoGrad();
        foreach (var p in parameters)
        {
            if (p.Grad == null) continue;
            p.Grad.Mul_(1f / Scale);
            if (finite && !AllFinite(p.Grad)) finite = false;
        }
        return finite;
    }

    /// <summary>Adjusts the scale after a step: halve on overflow, grow after GrowthInterval clean steps.</summary>
    public void Update(bool stepWasFinite)
    {
        if (!stepWasFinite)
        {
            Scale *= BackoffFactor; GoodSteps = 0; SkippedSteps++;
            return;
        }
        if (++GoodSteps >= GrowthInterval) { Scale *= GrowthFactor; GoodSteps = 0; }
    }

    /// <summary>Unscales, then runs step only when the gradients are finite (clearing them otherwise), then updates the scale.</summary>
    public bool Step(IEnumerable<Tensor> parameters, Action step)
    {
        var ps = parameters as IReadOnlyCollection<Tensor> ?? parameters.ToList();
        bool ok = Unscale(ps);
        if (ok) step();
        else foreach (var p in ps) p.ZeroGrad();
        Update(ok);
        return ok;
    }

    public Dictionary<string, double> StateDict() => new() { ["scale"] = Scale, ["good_steps"] = GoodSteps, ["skipped_steps"] = SkippedSteps };

    public void LoadStateDict(IReadOnlyDictionary<string, double> s)
    {
        Scale = (float)s["scale"]; GoodSteps = (int)s["good_steps"]; SkippedSteps = (int)s["skipped_steps"];
    }

    /// <summary>sum(t * 0) is 0 when every element is finite and NaN otherwise (Inf * 0 = NaN): one scalar leaves the device.</summary>
    private static bool AllFinite(Tensor t) => float.IsFinite(t.Mul(0f).Sum().Item());
}
