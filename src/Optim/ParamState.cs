namespace Engine;

/// <summary>
/// What an optimizer remembers about one parameter: its step count and named buffers
/// (<c>exp_avg</c>, <c>exp_avg_sq</c>, <c>momentum_buffer</c>, ...), each the parameter's shape.
/// </summary>
/// <remarks>
/// Buffers are made outside any <see cref="TensorScope"/>: <see cref="Optimizer.Step"/> runs inside the
/// training loop's scope, and state must outlive it.
/// </remarks>
public sealed class ParamState
{
    private readonly Dictionary<string, Tensor> _buffers = new();

    /// <summary>Number of updates applied to this parameter (PyTorch's <c>state['step']</c>).</summary>
    public long Step { get; set; }

    public IReadOnlyDictionary<string, Tensor> Buffers => _buffers;

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

    /// <summary>Stores a copy of value as the buffer called name (e.g. SGD's first momentum buffer = the gradient).</summary>
    public Tensor SetCopy(string name, Tensor value)
    {
        Tensor t;
        using (TensorScope.Suspend()) t = Tensor.ZerosLike(value);
        using (Tensor.NoGrad()) t.Copy_(value);
        Set(name, t);
        return t;
    }

    /// <summary>Adopts t (already outside any scope) as the buffer called name, disposing any old one.</summary>
    internal void Set(string name, Tensor t)
    {
        if (_buffers.TryGetValue(name, out var old) && !ReferenceEquals(old, t)) old.Dispose();
        _buffers[name] = t;
    }

    internal void Clear()
    {
        foreach (var t in _buffers.Values) t.Dispose();
        _buffers.Clear();
        Step = 0;
    }
}
