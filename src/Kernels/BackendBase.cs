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
}
