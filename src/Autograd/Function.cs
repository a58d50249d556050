namespace Engine;

/// <summary>
/// A node of the autograd graph: one differentiable op. Each op's file holds its forward
/// (a static method that runs the backend and records the node) above its backward.
/// </summary>
/// <remarks>
/// Backward receives the gradient of the loss with respect to the op's output(s) and returns the
/// gradient with respect to each input (null where an input needs none). It runs with gradients
/// disabled and may use the whole Tensor API. Tensors needed by backward are kept with
/// <see cref="Save"/>, which records their version so an in-place change is caught.
/// </remarks>
public abstract class Function : GradNode
{
    private readonly List<(Tensor t, int version)> _saved = new();
    private bool _released;

    /// <summary>The inputs, in the order Backward returns their gradients.</summary>
    internal Tensor[] Inputs { get; set; } = [];

    public override string Name => GetType().Name;

    /// <summary>How many tensors the forward returns (1 for most ops).</summary>
    public virtual int OutputCount => 1;

    /// <summary>Shapes of the outputs, to make zero gradients for outputs that received none.</summary>
    internal Shape[] OutputShapes { get; set; } = [];

    /// <summary>Whether input i needs a gradient (so backward can skip work).</summary>
    protected bool NeedsGrad(int i) => i < Inputs.Length && Autograd.Tracks(Inputs[i]);

    /// <summary>Keeps t for backward and remembers its version.</summary>
    protected Tensor Save(Tensor t)
    {
        _saved.Add((t, t.Storage.Version));
        return t;
    }

    /// <summary>Gradient of each input given the output gradient.</summary>
    protected internal abstract Tensor?[] Backward(Tensor dy);

    /// <summary>Multi-output ops override this; a null entry means that output got no gradient.</summary>
    protected internal virtual Tensor?[] Backward(Tensor?[] dys) => Backward(dys[0]!);

    /// <summary>
    /// True for a one-input, one-output op whose input gradient is zero outside the part of the input it read (a slice,
    /// an index selection): Backprop then calls <see cref="AddGradInto"/> on a gradient buffer it owns instead of
    /// <see cref="Backward(Tensor)"/>. Without it, each of n slices of one tensor makes a full-size zero gradient and the
    /// n gradients are summed full-size: O(n * input size) instead of O(input size + n * slice size).
    /// </summary>
    internal virtual bool AddsGradInto => false;

    /// <summary>
    /// target += the input's gradient given dy, touching only the region the op read. target has the input's shape, is
    /// Float32 and writable (no broadcast dims), and is a buffer no other tensor shares: a pending sum Backprop allocated,
    /// or the leaf's <see cref="Tensor.Grad"/>.
    /// </summary>
    protected internal virtual void AddGradInto(Tensor dy, Tensor target) =>
        throw new NotSupportedException($"{Name} does not add its gradient into a buffer");

    internal void CheckSaved()
    {
        if (_released)
            throw new InvalidOperationException($"Backward: the graph through {Name} was already freed by an earlier Backward(); pass retainGraph: true to the first Backward if you need to backpropagate through it twice");
        foreach (var (t, v) in _saved)
        {
            if (t.IsDisposed)
                throw new InvalidOperationException($"Backward: a tensor {Name} saved for its gradient was freed (its Tensor.Scope ended or it was disposed); call Backward inside the scope that ran the forward pass");
            if (t.Storage.Version != v)
                throw new InvalidOperationException($"Backward: a tensor {t.Describe()} needed by {Name} for its gradient was modified in place after the forward pass (version {t.Storage.Version}, expected {v})");
        }
    }

    /// <summary>Drops the saved tensors once backward has used them (unless the graph is retained).</summary>
    internal void Release()
    {
        _released = true;
        _saved.Clear();
        ReleaseState();
    }

    /// <summary>Ops that hold tensors outside <see cref="Save"/> drop them here.</summary>
    protected virtual void ReleaseState() { }
}
