namespace Engine.Training;

// Dropout and weight-decay rules.
public static partial class Advisor
{
    public const string DropoutRateId = "dropout-rate";
    public const string DropoutOnOutputId = "dropout-on-output";
    public const string DecayOnBiasNormId = "decay-on-bias-norm";
    public const string DecayRangeId = "weight-decay-range";

    /// <summary>Dropout below this rate barely regularizes.</summary>
    public const double MinDropout = 0.2;
    /// <summary>Dropout above this rate throws away most of the signal and slows training.</summary>
    public const double MaxDropout = 0.5;
    /// <summary>Weight decay below this does next to nothing.</summary>
    public const double MinWeightDecay = 1e-4;
    /// <summary>Weight decay above this usually underfits (AdamW's default 1e-2 is the top of the usual range).</summary>
    public const double MaxWeightDecay = 1e-2;

    /// <summary>Dropout rate outside 20-50% (p = 0 is a disabled dropout and is not reported).</summary>
    public static IEnumerable<Finding> DropoutRate(Module model, IReadOnlyList<(string Name, Module Module)> layers, AdvisorOptions o)
    {
        foreach (var (name, m) in layers)
        {
            double p = m switch { Dropout d => d.P, RecurrentBase r when r.NumLayers > 1 => r.DropoutP, _ => 0 };
            if (p == 0 || (p >= MinDropout && p <= MaxDropout)) continue;
            yield return new(DropoutRateId, Severity.Warning,
                $"{m.GetType().Name} rate {N(p)} is outside {N(MinDropout)}-{N(MaxDropout)}: " +
                (p < MinDropout ? "so little dropout barely regularizes; use 0.2 or remove it." : "so much dropout discards most of the signal and slows or stalls training; use 0.5 or less (0.2-0.3 for convolutional and recurrent layers)."),
                name);
        }
    }

    /// <summary>
    /// Dropout applied to the model's outputs: a Dropout after the output layer zeroes logits at random, which the loss
    /// then trains on. The collection's "no dropout on the last layer" means this, not dropout on the last hidden layer
    /// right before the final Linear, which is standard (DESIGN.md's own CNN has it) and is not reported.
    /// </summary>
    public static IEnumerable<Finding> DropoutOnOutput(Module model, IReadOnlyList<(string Name, Module Module)> layers, AdvisorOptions o)
    {
        var output = OutputLayer(layers);
        if (output is null) yield break;
        int outIndex = -1;
        for (int i = 0; i < layers.Count; i++) if (ReferenceEquals(layers[i].Module, output.Value.Module)) outIndex = i;
        for (int i = layers.Count - 1; i > outIndex; i--)
            if (layers[i].Module is Dropout { P: > 0 })
            {
                yield return new(DropoutOnOutputId, Severity.Warning,
                    $"dropout after the output layer ({output.Value.Module.GetType().Name}) zeroes logits at random, which the loss then trains on; " +
                    "remove it (dropout on the last hidden layer, before the output layer, is fine).", layers[i].Name);
                yield break;
            }
    }

    /// <summary>
    /// Weight decay on biases or normalization weights (parameters of rank ≤ 1, or of a *Norm*
    /// module): it only pulls a norm's scale toward 0. Use <see cref="ParamGroups.NoDecayOnBiasAndNorm"/>.
    /// </summary>
    public static IEnumerable<Finding> DecayOnBiasAndNorm(Module model, IReadOnlyList<(string Name, Module Module)> layers, AdvisorOptions o)
    {
        var noDecay = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        foreach (var (mname, m) in model.NamedModules())
            foreach (var (pname, p) in m.NamedParameters(mname, recurse: false))
                if (p.Rank <= 1 || m is BatchNormBase or LayerNorm) noDecay.TryAdd(p, pname);
        foreach (var (label, _, wd, ps) in Groups(model, o))
        {
            if (wd is not > 0) continue;
            var hit = ps.Where(noDecay.ContainsKey).Select(p => noDecay[p]).ToList();
            if (hit.Count == 0) continue;
            yield return new(DecayOnBiasNormId, Severity.Warning,
                $"weight decay {N(wd.Value)} applies to {hit.Count} bias/normalization parameter(s) ({string.Join(", ", hit.Take(4))}{(hit.Count > 4 ? ", ..." : "")}); " +
                "decay there only pulls biases and norm scales toward 0. Build the groups with ParamGroups.NoDecayOnBiasAndNorm(model, weightDecay).", label);
        }
    }

    /// <summary>Weight decay outside 1e-4..1e-2 (0 = off, not reported).</summary>
    public static IEnumerable<Finding> DecayRange(Module model, IReadOnlyList<(string Name, Module Module)> layers, AdvisorOptions o)
    {
        foreach (var (label, _, wd, ps) in Groups(model, o))
        {
            if (wd is not > 0 || (wd >= MinWeightDecay && wd <= MaxWeightDecay) || ps.Count == 0) continue;
            yield return new(DecayRangeId, Severity.Warning,
                $"weight decay {N(wd.Value)} is outside {N(MinWeightDecay)}..{N(MaxWeightDecay)}: " +
                (wd < MinWeightDecay ? "too small to regularize; use 1e-4 (SGD) to 1e-2 (AdamW), or 0." : "strong enough to make the model underfit; start from 5e-4 (SGD) or 1e-2 (AdamW)."),
                label);
        }
    }
}
