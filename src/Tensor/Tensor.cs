using System.Text;

namespace Engine;

/// <summary>
/// An n-dimensional array: a <see cref="Storage"/> seen through a <see cref="Layout"/>, plus the
/// autograd fields. The math (operators, views with gradients, creation) is in Engine.Autograd as
/// extension members, so that <c>using Engine;</c> gives the whole API.
/// </summary>
/// <remarks>
/// Disposing a tensor releases its storage reference (memory goes back to the pool when the last
/// view is gone). Tensors made inside a <see cref="TensorScope"/> are disposed when it ends.
/// </remarks>
public sealed class Tensor : IDisposable
{
    private bool _disposed;
    private bool _requiresGrad;
    private Tensor? _grad;

    internal Tensor(Storage storage, Layout layout)
    {
        layout.CheckFits(storage);
        Storage = storage;
        Layout = layout;
        storage.AddRef();
        TensorScope.Track(this);
        Interlocked.Increment(ref _live);
    }

    private static long _live;

    /// <summary>Tensor objects created and not yet disposed, process-wide (a leak shows up as growth across training steps).</summary>
    public static long LiveCount => Interlocked.Read(ref _live);

    /// <summary>Wraps a storage and layout in a new tensor (a view when the storage is shared).</summary>
    public static Tensor Create(Storage storage, Layout layout) => new(storage, layout);

    public Storage Storage { get; private set; }
    public Layout Layout { get; private set; }

    /// <summary>
    /// Points this tensor at other's data (PyTorch's <c>param.data = other</c>): the object stays the
    /// same, so modules and optimizers holding it see the new values, device or dtype. Not recorded by autograd.
    /// </summary>
    public void SetData(Tensor other)
    {
        ThrowIfDisposed("set_data"); other.ThrowIfDisposed("set_data");
        if (ReferenceEquals(other.Storage, Storage) && other.Layout == Layout) return;
        other.Layout.CheckFits(other.Storage);
        other.Storage.AddRef();
        var old = Storage;
        Storage = other.Storage;
        Layout = other.Layout;
        old.Release();
    }
    public Shape Shape => Layout.Shape;
    public int Rank => Layout.Rank;
    public int Numel => Layout.Numel;
    public DType DType => Storage.DType;
    public Device Device => Storage.Device;
    public IBackend Backend => Storage.Device.Backend;
    public bool IsContiguous => Layout.IsContiguous;
    public bool IsDisposed => _disposed || Storage.IsDisposed;

    /// <summary>Size of one dim (negative counts from the end).</summary>
    public int Size(int dim) => Shape[Shape.Dim(dim, "size")];

    /// <summary>Whether gradients flow to this tensor. Settable on leaves only.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (GradFn != null && !value)
                throw new InvalidOperationException("RequiresGrad can only be turned off on leaf tensors; use Detach() to cut a tensor out of the graph");
            if (value && DType == DType.Int32)
                throw new InvalidOperationException("only floating-point tensors can require gradients (this one is Int32)");
            _requiresGrad = value;
        }
    }

    /// <summary>Accumulated gradient of a leaf, same shape as the tensor (null until a backward pass reaches it).</summary>
    public Tensor? Grad
    {
        get => _grad;
        set
        {
            if (ReferenceEquals(value, _grad)) return;
            _grad?.Dispose();
            _grad = value;
            value?.Keep();          // a gradient outlives the scope of the step that made it
        }
    }

    /// <summary>The node that made this tensor (null for leaves and for results made without gradients).</summary>
    public GradNode? GradFn { get; internal set; }
    /// <summary>Which output of <see cref="GradFn"/> this tensor is.</summary>
    public int OutputIndex { get; internal set; }

    public bool IsLeaf => GradFn == null;

    /// <summary>A human-readable name used in error messages and anomaly reports.</summary>
    public string? Name { get; set; }

    internal TensorScope? Scope { get; set; }

    /// <summary>Sets the gradient to null (its memory goes back to the pool).</summary>
    public void ZeroGrad() => Grad = null;

    /// <summary>Removes this tensor from its scope: the caller owns it (dispose it or let the GC take it).</summary>
    public Tensor Keep()
    {
        Scope?.Forget(this);
        Scope = null;
        return this;
    }

    /// <summary>Moves this tensor from its scope to the enclosing one (or out of all scopes).</summary>
    public Tensor MoveToOuterScope()
    {
        var outer = Scope?.Parent;
        Keep();
        outer?.Add(this);
        return this;
    }

    public void ThrowIfDisposed(string op)
    {
        if (_disposed) throw new ObjectDisposedException(op, $"{op}: the tensor {Describe()} was disposed (explicitly, or by the end of the Tensor.Scope that made it; call Keep() on tensors that must outlive their scope)");
        Storage.ThrowIfDisposed(op);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Interlocked.Decrement(ref _live);
        Scope?.Forget(this);
        Scope = null;
        _grad?.Dispose();
        _grad = null;
        Storage.Release();
    }

    /// <summary>All elements, row-major, as float (Int32 and Float16 are converted).</summary>
    public float[] ToArray()
    {
        ThrowIfDisposed("ToArray");
        var a = new float[Numel];
        if (DType == DType.Int32)
        {
            var ints = ToIntArray();
            for (int i = 0; i < a.Length; i++) a[i] = ints[i];
        }
        else Backend.Download(this, a);
        return a;
    }

    /// <summary>
    /// Copies all elements, row-major, as float into <paramref name="destination"/> (Int32 and Float16 are converted,
    /// as <see cref="ToArray"/> does), without a float array of its own: for loaders that fill a batch sample by sample.
    /// </summary>
    public void CopyTo(Span<float> destination)
    {
        ThrowIfDisposed("CopyTo");
        if (destination.Length < Numel)
            throw new ArgumentException($"CopyTo: the destination holds {destination.Length} floats, the tensor {Describe()} has {Numel}", nameof(destination));
        if (DType == DType.Int32)
        {
            var ints = ToIntArray();
            for (int i = 0; i < ints.Length; i++) destination[i] = ints[i];
        }
        else Backend.Download(this, destination[..Numel]);
    }

    /// <summary>All elements of an Int32 tensor, row-major.</summary>
    public int[] ToIntArray()
    {
        ThrowIfDisposed("ToIntArray");
        var a = new int[Numel];
        if (DType != DType.Int32)
        {
            var f = ToArray();
            for (int i = 0; i < a.Length; i++) a[i] = (int)f[i];
        }
        else Backend.Download(this, a);
        return a;
    }

    /// <summary>The value of a one-element tensor.</summary>
    public float Item()
    {
        if (Numel != 1) throw new ShapeException($"item: tensor of shape {Shape} has {Numel} elements, not 1");
        return ToArray()[0];
    }

    public string Describe() => $"{(Name != null ? Name + " " : "")}{Shape} {DType} on {Device}";

    public override string ToString()
    {
        if (IsDisposed) return $"tensor({Shape}, disposed)";
        var sb = new StringBuilder("tensor(");
        var v = ToArray();
        int show = Math.Min(v.Length, 8);
        sb.Append('[');
        for (int i = 0; i < show; i++) { if (i > 0) sb.Append(", "); sb.Append(v[i].ToString("G5", System.Globalization.CultureInfo.InvariantCulture)); }
        if (v.Length > show) sb.Append(", ...");
        sb.Append("], shape=").Append(Shape);
        if (DType != DType.Float32) sb.Append(", dtype=").Append(DType);
        if (!Device.IsCpu) sb.Append(", device=").Append(Device);
        if (RequiresGrad) sb.Append(", requires_grad");
        else if (GradFn != null) sb.Append(", grad_fn=").Append(GradFn.Name);
        return sb.Append(')').ToString();
    }
}

/// <summary>An autograd node; Engine.Autograd's Function derives from it.</summary>
public abstract class GradNode
{
    public abstract string Name { get; }
}
