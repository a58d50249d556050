using System.Globalization;

namespace Engine.Training;

/// <summary>
/// Checks the collection's rules of thumb against a model and its training setup, and says, for
/// each rule broken, why it matters and what to change. Nothing is returned when all is well.
/// </summary>
/// <remarks>
/// Each rule is one small function (<c>Rules.*.cs</c>) taking the model's layers and the options
/// and returning its findings; thresholds are the named constants on <see cref="Advisor"/>.
/// "Layers in order" are the leaf modules in registration order, which is the forward order for a
/// <see cref="Sequential"/> and for models that register their layers in the order they use them.
/// docs/advisor.md lists every rule and what the alignment rules measure on this engine.
/// </remarks>
public static partial class Advisor
{
    /// <summary>One rule: the model, its layers in order, the options; returns its findings.</summary>
    public delegate IEnumerable<Finding> Rule(Module model, IReadOnlyList<(string Name, Module Module)> layers, AdvisorOptions options);

    /// <summary>Every rule, by id, in the order they are reported.</summary>
    public static IReadOnlyList<(string Id, Rule Rule)> Rules { get; } =
    [
        (BatchSizeId, BatchSize),
        (RnnSizesId, RnnSizes),
        (DenseFeaturesId, DenseFeatures),
        (ConvChannelsId, ConvChannels),
        (PadInputChannelsId, PadInputChannels),
        (DropoutRateId, DropoutRate),
        (DropoutOnOutputId, DropoutOnOutput),
        (AdamLrId, AdamLr),
        (LinearScalingId, LinearScalingRule),
        (ScheduleBeforeOverfitId, ScheduleBeforeOverfit),
        (DecayOnBiasNormId, DecayOnBiasAndNorm),
        (DecayRangeId, DecayRange),
        (SoftmaxThenLogId, SoftmaxThenLog),
        (OneHotCardinalityId, OneHotCardinality),
        (BackboneLrId, BackboneLr),
    ];

    /// <summary>Runs every rule; an empty list means nothing to report.</summary>
    public static List<Finding> Check(Module model, AdvisorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new AdvisorOptions();
        var layers = Layers(model);
        var findings = new List<Finding>();
        foreach (var (_, rule) in Rules) findings.AddRange(rule(model, layers, options));
        return findings;
    }

    /// <summary>The leaf modules (no children) in registration order, with their dotted names.</summary>
    public static List<(string Name, Module Module)> Layers(Module model) =>
        model.NamedModules().Where(m => !m.Module.Children().Any()).ToList();

    /// <summary>The last layer with parameters (the output layer), or null.</summary>
    internal static (string Name, Module Module)? OutputLayer(IReadOnlyList<(string Name, Module Module)> layers)
    {
        for (int i = layers.Count - 1; i >= 0; i--)
            if (layers[i].Module.Parameters(recurse: false).Any()) return layers[i];
        return null;
    }

    /// <summary>
    /// The parameter groups as the rules see them: the optimizer's, or one group of every
    /// parameter with <see cref="AdvisorOptions.Lr"/> and <see cref="AdvisorOptions.WeightDecay"/>.
    /// Lr or WeightDecay is null where it is not known.
    /// </summary>
    internal static List<(string Label, double? Lr, double? WeightDecay, IReadOnlyList<Tensor> Params)> Groups(Module model, AdvisorOptions o)
    {
        if (o.Optimizer is { } opt)
            return opt.ParamGroups.Select((g, i) => (g.Name ?? $"group {i}",
                g.Has("lr") ? g.Lr : (double?)null, g.Has("weight_decay") ? g.WeightDecay : (double?)null, g.Params)).ToList();
        return [("all parameters", o.Lr, o.WeightDecay, model.Parameters().ToList())];
    }

    /// <summary>The optimizer's name in lower case ("adam", "adamw", "sgd"), or null.</summary>
    internal static string? OptimizerName(AdvisorOptions o) =>
        (o.Optimizer?.GetType().Name ?? o.OptimizerName)?.ToLowerInvariant();

    internal static string N(double x) => x.ToString("G3", CultureInfo.InvariantCulture);

    internal static bool IsPowerOfTwo(int n) => n > 0 && (n & (n - 1)) == 0;
}
