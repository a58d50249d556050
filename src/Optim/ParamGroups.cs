namespace Engine;

/// <summary>
/// Builders for the usual parameter groups: no weight decay on biases and normalization weights,
/// and different learning rates (or freezing) for a pretrained backbone and a new head.
/// </summary>
public static class ParamGroups
{
    /// <summary>
    /// Two groups: <c>"decay"</c> (weights of rank ≥ 2: linear, conv and embedding matrices) with
    /// weightDecay, and <c>"no_decay"</c> with weight decay 0: every parameter of rank ≤ 1 (biases,
    /// norm scales and shifts) and every parameter of a module whose type name ends in
    /// Norm, Norm1d, Norm2d or Norm3d. Decaying these only pulls them toward 0, which a scale of a
    /// normalization layer should not be; most recipes (BERT, timm, nanoGPT) exclude them.
    /// Empty groups are left out. Shared parameters are listed once.
    /// </summary>
    /// <param name="lr">Learning rate of both groups; null takes the optimizer's.</param>
    public static List<ParamGroup> NoDecayOnBiasAndNorm(Module model, double weightDecay, double? lr = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (decay, noDecay) = SplitDecay(model.NamedParameters(), model, new HashSet<Tensor>(ReferenceEqualityComparer.Instance));
        var groups = new List<ParamGroup>();
        if (decay.Count > 0) groups.Add(new ParamGroup(decay.Select(p => p.Item2), lr, weightDecay, "decay"));
        if (noDecay.Count > 0) groups.Add(new ParamGroup(noDecay.Select(p => p.Item2), lr, 0, "no_decay"));
        return groups;
    }

    /// <summary>
    /// Starts a group list with a pretrained backbone, usually at a low learning rate (1e-5 to 1e-4)
    /// or frozen: <c>ParamGroups.Backbone(model.Backbone, lr: 1e-5).Head(model.Head, lr: 1e-3)</c>.
    /// </summary>
    /// <param name="freeze">Sets RequiresGrad false on the backbone's parameters (they get no gradient, so the
    /// optimizer skips them). They stay in the group, so unfreezing later (<c>module.RequiresGrad(true)</c>)
    /// trains them at this group's learning rate without rebuilding the optimizer.</param>
    public static ParamGroupBuilder Backbone(Module backbone, double? lr = null, double? weightDecay = null, bool freeze = false) =>
        new ParamGroupBuilder().Backbone(backbone, lr, weightDecay, freeze);

    internal static bool IsNormModule(Module m)
    {
        var n = m.GetType().Name;
        return n.EndsWith("Norm", StringComparison.Ordinal) || n.EndsWith("Norm1d", StringComparison.Ordinal)
            || n.EndsWith("Norm2d", StringComparison.Ordinal) || n.EndsWith("Norm3d", StringComparison.Ordinal);
    }

    /// <summary>Splits named parameters into (decayed, not decayed), skipping any already in seen (and adding the rest to it).</summary>
    internal static (List<(string, Tensor)> decay, List<(string, Tensor)> noDecay) SplitDecay(
        IEnumerable<(string Name, Tensor Parameter)> parameters, Module owner, HashSet<Tensor> seen)
    {
        var normParams = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (_, m) in owner.NamedModules())
            if (IsNormModule(m))
                foreach (var p in m.Parameters(recurse: false)) normParams.Add(p);
        var decay = new List<(string, Tensor)>();
        var noDecay = new List<(string, Tensor)>();
        foreach (var (name, p) in parameters)
        {
            if (!seen.Add(p)) continue;
            (p.Rank <= 1 || normParams.Contains(p) ? noDecay : decay).Add((name, p));
        }
        return (decay, noDecay);
    }
}

/// <summary>
/// A fluent list of parameter groups, one per part of a model; give it to any optimizer's constructor.
/// A parameter may be in one group only: adding a module whose parameters are already taken is an error
/// that names them, except for <see cref="Rest"/>, which takes only what is left.
/// </summary>
public sealed class ParamGroupBuilder : IEnumerable<ParamGroup>
{
    private readonly List<ParamGroup> _groups = new();
    private readonly Dictionary<Tensor, string> _owner = new(ReferenceEqualityComparer.Instance);

    /// <summary>A pretrained part: low learning rate, or frozen (see <see cref="ParamGroups.Backbone"/>).</summary>
    public ParamGroupBuilder Backbone(Module backbone, double? lr = null, double? weightDecay = null, bool freeze = false) =>
        Add("backbone", backbone, lr, weightDecay, freeze);

    /// <summary>The new, randomly initialized part, usually at 10 to 100 times the backbone's learning rate.</summary>
    public ParamGroupBuilder Head(Module head, double? lr = null, double? weightDecay = null) =>
        Add("head", head, lr, weightDecay, freeze: false);

    /// <summary>Any part under a name of your choice.</summary>
    public ParamGroupBuilder Add(string name, Module module, double? lr = null, double? weightDecay = null, bool freeze = false)
    {
        ArgumentNullException.ThrowIfNull(module);
        var ps = module.NamedParameters().ToList();
        var taken = ps.Where(p => _owner.ContainsKey(p.Parameter)).Select(p => $"{p.Name} (in '{_owner[p.Parameter]}')").ToList();
        if (taken.Count > 0)
            throw new ArgumentException($"ParamGroups: group '{name}' ({module.GetType().Name}) shares {taken.Count} parameter(s) with earlier groups: {string.Join(", ", taken.Take(8))}; use Rest() for 'everything not yet grouped'");
        var unique = new List<Tensor>();
        foreach (var (_, p) in ps)
            if (_owner.TryAdd(p, name)) unique.Add(p);
        if (freeze)
            foreach (var p in unique) { p.RequiresGrad = false; p.ZeroGrad(); }
        _groups.Add(new ParamGroup(unique, lr, weightDecay, name));
        return this;
    }

    /// <summary>Every parameter of model not in an earlier group (e.g. the layers between backbone and head). Adds nothing when none is left.</summary>
    public ParamGroupBuilder Rest(Module model, double? lr = null, double? weightDecay = null, string name = "rest")
    {
        ArgumentNullException.ThrowIfNull(model);
        var left = new List<Tensor>();
        foreach (var (_, p) in model.NamedParameters())
            if (_owner.TryAdd(p, name)) left.Add(p);
        if (left.Count > 0) _groups.Add(new ParamGroup(left, lr, weightDecay, name));
        return this;
    }

    public IEnumerator<ParamGroup> GetEnumerator() => _groups.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
