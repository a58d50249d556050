namespace Engine;

/// <summary>
/// The state of an optimizer or a learning-rate scheduler: numbers and tensors by dotted name,
/// e.g. <c>state.3.exp_avg</c> (a tensor), <c>state.3.step</c> and <c>param_groups.0.lr</c> (numbers).
/// </summary>
/// <remarks>
/// Tensors are snapshots (copies outside any scope, owned by the caller: dispose them once written), so continuing to train does not change a saved
/// state. Numbers are doubles: step counts up to 2^53 and learning rates round-trip exactly, so a
/// resumed run continues bit for bit. Both maps are plain dictionaries, easy to write to any file format.
/// </remarks>
public sealed class StateDict
{
    public Dictionary<string, double> Values { get; } = new();
    public Dictionary<string, Tensor> Tensors { get; } = new();

    /// <summary>A number that must be present; the error names the key and what the state holds.</summary>
    public double Value(string key, string owner)
    {
        if (Values.TryGetValue(key, out var v)) return v;
        throw new ArgumentException($"{owner}.LoadStateDict: the state has no value '{key}' (it holds {Values.Count} values: {Preview(Values.Keys)})");
    }

    /// <summary>Copies every entry of other under prefix + "." (for nested schedulers).</summary>
    public void Include(string prefix, StateDict other)
    {
        foreach (var (k, v) in other.Values) Values[prefix + "." + k] = v;
        foreach (var (k, t) in other.Tensors) Tensors[prefix + "." + k] = t;
    }

    /// <summary>The entries under prefix + ".", with the prefix removed.</summary>
    public StateDict Sub(string prefix)
    {
        var s = new StateDict();
        var p = prefix + ".";
        foreach (var (k, v) in Values) if (k.StartsWith(p, StringComparison.Ordinal)) s.Values[k[p.Length..]] = v;
        foreach (var (k, t) in Tensors) if (k.StartsWith(p, StringComparison.Ordinal)) s.Tensors[k[p.Length..]] = t;
        return s;
    }

    /// <summary>Every entry except those under prefix + "." (what a wrapping optimizer keeps for itself).</summary>
    public StateDict Without(string prefix)
    {
        var s = new StateDict();
        var p = prefix + ".";
        foreach (var (k, v) in Values) if (!k.StartsWith(p, StringComparison.Ordinal)) s.Values[k] = v;
        foreach (var (k, t) in Tensors) if (!k.StartsWith(p, StringComparison.Ordinal)) s.Tensors[k] = t;
        return s;
    }

    private static string Preview(IEnumerable<string> keys)
    {
        var list = keys.Take(6).ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list) + (keys.Count() > 6 ? ", ..." : "");
    }
}
