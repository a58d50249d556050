namespace Engine;

/// <summary>
/// What an optimizer remembers about one parameter: its step count, named buffers
/// (<c>exp_avg</c>, <c>exp_avg_sq</c>, <c>momentum_buffer</c>, ...) and named numbers
/// (NAdam's <c>mu_product</c>, ASGD's <c>eta</c> and <c>mu</c>).
/// </summary>
/// <remarks>
/// Buffers are made outside any <see cref="TensorScope"/>: <see cref="Optimizer.Step()"/> runs inside the
/// training loop's scope, and state must outlive it. Most buffers have the parameter's shape; an optimizer
/// whose buffers do not (SOAP's preconditioners, L-BFGS's flat history) says so in
/// <see cref="Optimizer.IsParamShaped"/>, so that loading a state dict checks the others.
/// </remarks>
public sealed class ParamState
{
    private readonly Dictionary<string, Tensor> _buffers = new();
    private readonly Dictionary<string, double> _values = new();

    /// <summary>Number of updates applied to this parameter (PyTorch's <c>state['step']</c>).</summary>
    public long Step { get; set; }

    public IReadOnlyDictionary<string, Tensor> Buffers => _buffers;

    /// <summary>Scalar state by name; saved as <c>state.I.NAME</c> among a state dict's values.</summary>
    public IReadOnlyDictionary<string, double> Values => _values;

    public bool Has(string name) => _buffers.ContainsKey(name);

    public Tensor this[string name] => _buffers.TryGetValue(name, out var t) ? t
        : throw new KeyNotFoundException($"optimizer state has no buffer '{name}' (has: {string.Join(", ", _buffers.Keys)})");

    /// <summary>The buffer called name, made as zeros shaped like the parameter on first use.</summary>
    public Tensor Zeros(string name, Tensor like)
    {
        if (_buffers.TryGetValue(name, out var t)) return t;
        using (TensorScope.Suspend()) t = Tensor.ZerosLike(like);
        _buffers[name] = t;
        return t;
    }

    /// <summary>The buffer called name, made filled with value (shaped like the parameter) on first use.</summary>
    public Tensor Full(string name, Tensor like, float value)
    {
        if (_buffers.TryGetValue(name, out var t)) return t;
        t = Zeros(name, like);
        if (value != 0) using (Tensor.NoGrad()) t.Fill_(value);
        return t;
    }

    /// <summary>Stores a copy of value as the buffer called name (e.g. SGD's first momentum buffer = the gradient).</summary>
    public Tensor SetCopy(string name, Tensor value)
    {
        Tensor t;
        using (TensorScope.Suspend()) t = Tensor.ZerosLike(value);
        using (Tensor.NoGrad()) t.Copy_(value);
        Set(name, t);
        return t;
    }

    /// <summary>Adopts t as the buffer called name (taking it out of its scope), disposing any old one.</summary>
    public void Set(string name, Tensor t)
    {
        t.Keep();
        if (_buffers.TryGetValue(name, out var old) && !ReferenceEquals(old, t)) old.Dispose();
        _buffers[name] = t;
    }

    /// <summary>Removes and disposes the buffer called name, if any.</summary>
    public void Remove(string name)
    {
        if (_buffers.Remove(name, out var old)) old.Dispose();
    }

    /// <summary>The number called name, or initial when it was never set.</summary>
    public double Value(string name, double initial) => _values.TryGetValue(name, out var v) ? v : initial;

    public bool HasValue(string name) => _values.ContainsKey(name);

    public void SetValue(string name, double value) => _values[name] = value;

    internal bool IsEmpty => Step == 0 && _buffers.Count == 0 && _values.Count == 0;

    internal void Clear()
    {
        foreach (var t in _buffers.Values) t.Dispose();
        _buffers.Clear();
        _values.Clear();
        Step = 0;
    }
}
