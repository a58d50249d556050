using System.Globalization;

namespace Engine;

/// <summary>
/// A set of parameters that share hyperparameters: a learning rate, a weight decay and the
/// optimizer's own options (momentum, betas, eps, ...), like one dict of PyTorch's <c>param_groups</c>.
/// </summary>
/// <remarks>
/// Options are doubles stored under PyTorch's snake_case names (<c>lr</c>, <c>weight_decay</c>,
/// <c>momentum</c>, <c>beta1</c>, <c>beta2</c>, <c>eps</c>, <c>amsgrad</c>, ...); flags are 0 or 1.
/// An option left unset here is filled from the optimizer's defaults when the group is given to it.
/// Schedulers write <c>lr</c> (and <c>momentum</c> or <c>beta1</c> for one-cycle) between steps.
/// </remarks>
public sealed class ParamGroup
{
    private readonly List<Tensor> _params;
    private readonly Dictionary<string, double> _options = new();

    /// <param name="parameters">The tensors this group updates (leaves; frozen ones are kept and skipped while they have no gradient).</param>
    /// <param name="lr">Learning rate; null takes the optimizer's.</param>
    /// <param name="weightDecay">Weight decay; null takes the optimizer's.</param>
    /// <param name="name">A label for printing and error messages ("decay", "backbone").</param>
    public ParamGroup(IEnumerable<Tensor> parameters, double? lr = null, double? weightDecay = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _params = parameters.ToList();
        Name = name;
        if (lr is { } l) _options["lr"] = l;
        if (weightDecay is { } w) _options["weight_decay"] = w;
    }

    public IReadOnlyList<Tensor> Params => _params;
    public string? Name { get; }

    /// <summary>Learning rate of this group (what schedulers change).</summary>
    public double Lr { get => this["lr"]; set => this["lr"] = value; }

    /// <summary>Weight decay of this group: L2 added to the gradient (SGD, Adam, RMSprop, AdaBound) or decoupled (AdamW).</summary>
    public double WeightDecay { get => this["weight_decay"]; set => this["weight_decay"] = value; }

    /// <summary>Any option by its PyTorch name; reading an unset option is an error that lists the set ones.</summary>
    public double this[string key]
    {
        get => _options.TryGetValue(key, out var v) ? v
            : throw new KeyNotFoundException($"param group {Label}: option '{key}' is not set (set: {string.Join(", ", _options.Keys)}); groups get the optimizer's defaults when given to it");
        set
        {
            if (double.IsNaN(value)) throw new ArgumentException($"param group {Label}: option '{key}' cannot be NaN");
            _options[key] = value;
        }
    }

    public bool Has(string key) => _options.ContainsKey(key);

    /// <summary>A 0/1 option as a bool (amsgrad, nesterov, centered).</summary>
    public bool Flag(string key) => this[key] != 0;

    /// <summary>Sets an option and returns the group (fluent): <c>new ParamGroup(ps).With("momentum", 0.9)</c>.</summary>
    public ParamGroup With(string key, double value) { this[key] = value; return this; }

    public IReadOnlyDictionary<string, double> Options => _options;

    internal void SetDefault(string key, double value) => _options.TryAdd(key, value);

    internal string Label => Name != null ? $"'{Name}'" : "(unnamed)";

    public override string ToString() =>
        $"ParamGroup({(Name != null ? Name + ", " : "")}{_params.Count} tensors, {_params.Sum(p => (long)p.Numel)} values, " +
        string.Join(", ", _options.Select(kv => kv.Key + "=" + kv.Value.ToString("G6", CultureInfo.InvariantCulture))) + ")";
}
