using System.Runtime.CompilerServices;

namespace Engine.Kernels.Cpu;

/// <summary>
/// The CPU backend: Vector256 + FMA on contiguous runs, a strided fallback for everything else,
/// and Parallel.For over the cores for large tensors. One instance serves <see cref="Device.Cpu"/>.
/// </summary>
public sealed partial class CpuBackend : BackendBase, IBackend, IFusedKernels
{
    public static CpuBackend Instance { get; } = new(Device.Cpu);

    /// <summary>A CPU backend serving another device id (host memory all the same): the tests' forward-only backend wraps one.</summary>
    internal CpuBackend(Device device) => Device = device;

    public override Device Device { get; }

#pragma warning disable CA2255 // the registry relies on this initializer
    [ModuleInitializer]
    internal static void RegisterSelf() => BackendRegistry.Register(Instance);
#pragma warning restore CA2255

    // ---- memory ----------------------------------------------------------------------

    /// <summary>Bytes the CPU kernels' per-thread scratch arrays hold (im2col columns, padded planes, GEMM packing).</summary>
    public static long ScratchBytes => Conv.Scratch.HeldBytes;

    /// <summary>
    /// Lets the scratch arrays shrink: each thread's next kernel call allocates them at the size it needs, and the old
    /// ones go to the GC. Pair it with <c>CpuMemoryPool.Floats.Trim()</c> after a phase that used big tensors.
    /// </summary>
    public static void TrimScratch() => Conv.Scratch.Trim();

    public override Storage Allocate(DType dtype, int length, bool zero) => new CpuStorage(Device, dtype, length, zero);

    public Storage Upload(ReadOnlySpan<float> data)
    {
        var s = new CpuStorage(Device, DType.Float32, data.Length, false);
        data.CopyTo(s.Floats);
        return s;
    }

    public Storage Upload(ReadOnlySpan<int> data)
    {
        var s = new CpuStorage(Device, DType.Int32, data.Length, false);
        data.CopyTo(s.Ints);
        return s;
    }

    public Storage Upload(ReadOnlySpan<Half> data)
    {
        var s = new CpuStorage(Device, DType.Float16, data.Length, false);
        data.CopyTo(s.Halves);
        return s;
    }

    public void Download(Tensor src, Span<float> dst)
    {
        CheckDevice(src, "download");
        using var t = src.DType == DType.Float32 ? null : Convert(src, DType.Float32);
        var f = t ?? src;
        var data = ((CpuStorage)f.Storage).Floats;
        if (f.IsContiguous) { data.AsSpan(f.Layout.Offset, f.Numel).CopyTo(dst); return; }
        var c = Coalesced.Of(f.Shape, f.Layout);
        int inner = c.Inner, st = c.InnerStride(0);
        for (int r = 0, o = 0; r < c.Outer; r++, o += inner)
        {
            int off = c.RunOffset(0, r);
            for (int i = 0; i < inner; i++) dst[o + i] = data[off + i * st];
        }
    }

    public void Download(Tensor src, Span<int> dst)
    {
        CheckDevice(src, "download");
        if (src.DType != DType.Int32) throw new InvalidOperationException($"download: expected an Int32 tensor, got {src.DType}");
        var data = ((CpuStorage)src.Storage).Ints;
        var c = Coalesced.Of(src.Shape, src.Layout);
        int inner = c.Inner, st = c.InnerStride(0);
        for (int r = 0, o = 0; r < c.Outer; r++, o += inner)
        {
            int off = c.RunOffset(0, r);
            for (int i = 0; i < inner; i++) dst[o + i] = data[off + i * st];
        }
    }

    // ---- copies ----------------------------------------------------------------------

    public override void Copy(Tensor src, Tensor dst)
    {
        CheckDevice(src, "copy"); CheckDevice(dst, "copy");
        if (src.Shape != dst.Shape) throw new ShapeException($"copy: source shape {src.Shape} differs from destination shape {dst.Shape}");
        var c = Coalesced.Of(dst.Shape, src.Layout, dst.Layout);
        switch (src.DType, dst.DType)
        {
            case (DType.Float32, DType.Float32): CopyRuns(c, F(src), F(dst), static x => x); break;
            case (DType.Int32, DType.Int32): CopyRuns(c, I(src), I(dst), static x => x); break;
            case (DType.Float16, DType.Float16): CopyRuns(c, H(src), H(dst), static x => x); break;
            case (DType.Float32, DType.Float16): CopyRuns(c, F(src), H(dst), static x => (Half)x); break;
            case (DType.Float16, DType.Float32): CopyRuns(c, H(src), F(dst), static x => (float)x); break;
            case (DType.Int32, DType.Float32): CopyRuns(c, I(src), F(dst), static x => (float)x); break;
            case (DType.Float32, DType.Int32): CopyRuns(c, F(src), I(dst), static x => (int)x); break;
            case (DType.Int32, DType.Float16): CopyRuns(c, I(src), H(dst), static x => (Half)x); break;
            case (DType.Float16, DType.Int32): CopyRuns(c, H(src), I(dst), static x => (int)(float)x); break;
        }
    }

    /// <summary>
    /// Copies every inner run, split over the cores by runs or within one long run (ForRuns). Same-type runs take
    /// the fast paths: contiguous -> memmove, stride-0 source (an expanded scalar, e.g. the gradient of a sum) -> fill,
    /// other strides -> a plain gather loop. Only dtype conversions go through <paramref name="conv"/>.
    /// </summary>
    private static void CopyRuns<TS, TD>(Coalesced c, TS[] s, TD[] d, Func<TS, TD> conv)
    {
        int ss = c.InnerStride(0), ds = c.InnerStride(1);
        if (typeof(TS) == typeof(TD))
        {
            var src = Unsafe.As<TS[], TD[]>(ref s);
            ForRuns(c, (run, i0, i1) =>
            {
                int so = c.RunOffset(0, run) + i0 * ss, dOff = c.RunOffset(1, run) + i0 * ds, n = i1 - i0;
                if (ss == 1 && ds == 1) src.AsSpan(so, n).CopyTo(d.AsSpan(dOff, n));
                else if (ss == 0 && ds == 1) d.AsSpan(dOff, n).Fill(src[so]);
                else for (int i = 0; i < n; i++) d[dOff + i * ds] = src[so + i * ss];
            });
            return;
        }
        ForRuns(c, (run, i0, i1) =>
        {
            int so = c.RunOffset(0, run) + i0 * ss, dOff = c.RunOffset(1, run) + i0 * ds, n = i1 - i0;
            if (ss == 1 && ds == 1 && typeof(TS) == typeof(float) && typeof(TD) == typeof(Half))
                System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(Unsafe.As<TS[], float[]>(ref s).AsSpan(so, n), Unsafe.As<TD[], Half[]>(ref d).AsSpan(dOff, n));
            else if (ss == 1 && ds == 1 && typeof(TS) == typeof(Half) && typeof(TD) == typeof(float))
                System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(Unsafe.As<TS[], Half[]>(ref s).AsSpan(so, n), Unsafe.As<TD[], float[]>(ref d).AsSpan(dOff, n));
            else for (int i = 0; i < n; i++) d[dOff + i * ds] = conv(s[so + i * ss]);
        });
    }

    public void Fill(Tensor dst, float value)
    {
        CheckDevice(dst, "fill");
        var c = Coalesced.Of(dst.Shape, dst.Layout);
        int inner = c.Inner, st = c.InnerStride(0);
        for (int r = 0; r < c.Outer; r++)
        {
            int o = c.RunOffset(0, r);
            switch (dst.DType)
            {
                case DType.Float32:
                    if (st == 1) F(dst).AsSpan(o, inner).Fill(value);
                    else for (int i = 0; i < inner; i++) F(dst)[o + i * st] = value;
                    break;
                case DType.Float16: for (int i = 0; i < inner; i++) H(dst)[o + i * st] = (Half)value; break;
                default: for (int i = 0; i < inner; i++) I(dst)[o + i * st] = (int)value; break;
            }
        }
    }

    // ---- helpers ---------------------------------------------------------------------

    internal static float[] F(Tensor t) => ((CpuStorage)t.Storage).Floats;
    internal static int[] I(Tensor t) => ((CpuStorage)t.Storage).Ints;
    internal static Half[] H(Tensor t) => ((CpuStorage)t.Storage).Halves;

}
