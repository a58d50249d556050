namespace Engine.Kernels;

/// <summary>
/// What every backend needs around its kernels: new contiguous outputs, the device check, and
/// float32 / contiguous views of inputs (converted copies when the input is not one already).
/// Backends derive from it and implement <see cref="IBackend"/>.
/// </summary>
public abstract class BackendBase
{
    public abstract Device Device { get; }
    public abstract Storage Allocate(DType dtype, int length, bool zero);
    /// <summary>dst[i] = src[i] (see <see cref="IBackend.Copy"/>).</summary>
    public abstract void Copy(Tensor src, Tensor dst);

    /// <summary>A new contiguous tensor on this device.</summary>
    internal Tensor New(Shape shape, bool zero = false, DType dtype = DType.Float32) =>
        Tensor.Create(Allocate(dtype, shape.Numel, zero), Layout.Contiguous(shape));

    /// <summary>Throws when t was disposed or lives on another device, naming both devices.</summary>
    internal void CheckDevice(Tensor t, string op)
    {
        t.ThrowIfDisposed(op);
        if (t.Device != Device)
            throw new DeviceMismatchException($"{op}: tensor {t.Describe()} is on {t.Device}, but this op runs on {Device}; move it with .To({(Device.IsCpu ? "Device.Cpu" : "device")})");
    }

    /// <summary>A float32 view of t: t itself, or a converted contiguous copy (caller disposes when not t).</summary>
    internal Tensor AsF32(Tensor t, string op)
    {
        CheckDevice(t, op);
        return t.DType == DType.Float32 ? t : Convert(t, DType.Float32);
    }

    internal Tensor Convert(Tensor t, DType to)
    {
        var o = New(t.Shape, dtype: to);
        Copy(t, o);
        return o;
    }

    /// <summary>A contiguous float32 tensor with t's values (t itself when already so).</summary>
    internal Tensor ContiguousF32(Tensor t, string op)
    {
        var f = AsF32(t, op);
        if (f.IsContiguous) return f;
        var o = New(f.Shape);
        Copy(f, o);
        DisposeIfTemp(f, t);
        return o;
    }

    internal static void DisposeIfTemp(Tensor temp, Tensor original)
    {
        if (!ReferenceEquals(temp, original)) temp.Dispose();
    }

    // ---- the elementwise entry points, written once: checks, float32 views, broadcasting, temporaries -------------

    /// <summary>y = op(x) into a new tensor (see <see cref="IBackend.Map"/>).</summary>
    public Tensor Map<TOp>(Tensor x, TOp op) where TOp : struct, IUnaryOp
    {
        var xf = AsF32(x, "map");
        var y = New(x.Shape);
        MapInto(xf, y, op);
        DisposeIfTemp(xf, x);
        return y;
    }

    /// <summary>a = op(a) (see <see cref="IBackend.MapInPlace"/>).</summary>
    public void MapInPlace<TOp>(Tensor a, TOp op) where TOp : struct, IUnaryOp
    {
        CheckWritable(a, "in-place map");
        MapInto(a, a, op);
    }

    /// <summary>op(a, b) with broadcasting into a new tensor (see <see cref="IBackend.Zip"/>).</summary>
    public Tensor Zip<TOp>(Tensor a, Tensor b, TOp op) where TOp : struct, IBinaryOp
    {
        var af = AsF32(a, "zip"); var bf = AsF32(b, "zip");
        var shape = Shape.Broadcast(a.Shape, b.Shape, "elementwise op");
        var y = New(shape);
        ZipInto(af, af.Layout.Expand(shape), bf, bf.Layout.Expand(shape), y, op);
        DisposeIfTemp(af, a); DisposeIfTemp(bf, b);
        return y;
    }

    /// <summary>a = op(a, b), b broadcast to a (see <see cref="IBackend.ZipInPlace"/>).</summary>
    public void ZipInPlace<TOp>(Tensor a, Tensor b, TOp op) where TOp : struct, IBinaryOp
    {
        CheckWritable(a, "in-place op");
        var bf = AsF32(b, "in-place op");
        var bl = bf.Layout.Expand(a.Shape, "in-place op (the right operand must broadcast to the left one)");
        ZipInto(a, a.Layout, bf, bl, a, op);
        DisposeIfTemp(bf, b);
    }

    /// <summary>The device loop of a unary op: y[i] = op(x[i]), x and y Float32 of y's shape, any strides (y may be x).</summary>
    protected abstract void MapInto<TOp>(Tensor x, Tensor y, TOp op) where TOp : struct, IUnaryOp;

    /// <summary>The device loop of a binary op: y[i] = op(a[i], b[i]) with a and b read through layouts al, bl of y's shape.</summary>
    protected abstract void ZipInto<TOp>(Tensor a, Layout al, Tensor b, Layout bl, Tensor y, TOp op) where TOp : struct, IBinaryOp;

    /// <summary>An in-place destination: this device, Float32, and no broadcast dims (its elements must not overlap).</summary>
    internal void CheckWritable(Tensor a, string op)
    {
        CheckDevice(a, op);
        if (a.DType != DType.Float32) throw new InvalidOperationException($"{op}: the destination must be Float32, got {a.DType}");
        for (int i = 0; i < a.Rank; i++)
            if (a.Layout.Strides[i] == 0 && a.Shape[i] > 1)
                throw new InvalidOperationException($"{op}: the destination {a.Describe()} is an expanded (broadcast) view whose elements overlap; call Contiguous() first");
    }
}
