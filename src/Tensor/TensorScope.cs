namespace Engine;

/// <summary>
/// Releases the tensors made inside it when disposed, so a training loop's memory stays flat:
/// <code>using var _ = Tensor.Scope();</code>
/// Scopes nest per thread. A tensor that must outlive the scope calls <see cref="Tensor.Keep"/>
/// (gradients of leaves and optimizer state do this themselves).
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;

    private readonly HashSet<Tensor> _tensors = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    private TensorScope() { Parent = _current; _current = this; }

    public static TensorScope Begin() => new();

    /// <summary>A region where new tensors are tracked by no scope (for long-lived state made mid-step).</summary>
    public static IDisposable Suspend() => new Suspension();

    public static TensorScope? Current => _current;
    public TensorScope? Parent { get; }
    public int Count => _tensors.Count;

    internal static void Track(Tensor t)
    {
        var s = _current;
        if (s == null || s._suspended) return;
        s.Add(t);
    }

    private bool _suspended;

    internal void Add(Tensor t) { _tensors.Add(t); t.Scope = this; }

    /// <summary>
    /// Moves a tensor made elsewhere (a data loader's batch, say) into this scope, out of any other: it is disposed
    /// with this scope. Returns it, for chaining.
    /// </summary>
    public Tensor Own(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        ObjectDisposedException.ThrowIf(_disposed, this);
        t.Keep();
        Add(t);
        return t;
    }
    internal void Forget(Tensor t) => _tensors.Remove(t);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_current != this)
            throw new InvalidOperationException("Tensor scopes must be disposed in reverse order of creation (innermost first) on the thread that made them");
        _current = Parent;
        foreach (var t in _tensors.ToArray()) { t.Scope = null; t.Dispose(); }
        _tensors.Clear();
    }

    private sealed class Suspension : IDisposable
    {
        private readonly TensorScope? _scope = _current;
        private readonly bool _was;
        public Suspension() { if (_scope != null) { _was = _scope._suspended; _scope._suspended = true; } }
        public void Dispose() { if (_scope != null) _scope._suspended = _was; }
    }
}
