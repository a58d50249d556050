using System.Reflection;
using System.Runtime.CompilerServices;

namespace Engine;

/// <summary>Kinds of device. Custom is a backend of a third party (or a test's), registered with <see cref="BackendRegistry.Register"/>.</summary>
public enum DeviceType { Cpu, Cuda, OpenCL, IlgpuCpu, Custom }

/// <summary>
/// Where a tensor lives. Each device has one <see cref="IBackend"/> that runs its ops.
/// Backends register themselves (<see cref="BackendRegistry"/>); the CPU one lives in Engine.Kernels.
/// </summary>
public sealed class Device : IEquatable<Device>
{
    public Device(DeviceType type, int index = 0, string? name = null)
    {
        Type = type; Index = index; Name = name ?? Default(type, index);
    }

    public DeviceType Type { get; }
    public int Index { get; }
    /// <summary>Human-readable name (for GPUs the accelerator's name).</summary>
    public string Name { get; }

    public static Device Cpu { get; } = new(DeviceType.Cpu, 0, "cpu");

    /// <summary>The best device present: a CUDA GPU, then OpenCL, else the CPU.</summary>
    public static Device Best() => BackendRegistry.Best();

    public bool IsCpu => Type == DeviceType.Cpu;

    public IBackend Backend => BackendRegistry.Get(this);

    public bool Equals(Device? other) => other is not null && other.Type == Type && other.Index == Index;
    public override bool Equals(object? obj) => obj is Device d && Equals(d);
    public override int GetHashCode() => HashCode.Combine(Type, Index);
    public static bool operator ==(Device? a, Device? b) => a is null ? b is null : a.Equals(b);
    public static bool operator !=(Device? a, Device? b) => !(a == b);

    public override string ToString() => Type switch
    {
        DeviceType.Cpu => "cpu",
        DeviceType.Cuda => $"cuda:{Index}",
        DeviceType.OpenCL => $"opencl:{Index}",
        DeviceType.IlgpuCpu => $"ilgpu-cpu:{Index}",
        DeviceType.Custom => $"custom:{Index} ({Name})",
        _ => Type.ToString(),
    };

    private static string Default(DeviceType t, int i) => t == DeviceType.Cpu ? "cpu" : $"{t}:{i}";
}

/// <summary>
/// Maps devices to backends. Engine.Kernels registers the CPU backend (and any GPU backends)
/// from its module initializer; the registry loads that assembly on first use if needed.
/// </summary>
public static class BackendRegistry
{
    private static readonly Dictionary<Device, IBackend> Backends = new();
    private static readonly List<Func<Device?>> BestProviders = new();
    private static readonly Lock Gate = new();
    private static bool _loaded;

    public static void Register(IBackend backend)
    {
        lock (Gate) Backends[backend.Device] = backend;
    }

    /// <summary>A provider of GPU devices for <see cref="Device.Best"/>; returns null when none is present.</summary>
    public static void RegisterBestProvider(Func<Device?> provider)
    {
        lock (Gate) BestProviders.Add(provider);
    }

    public static IBackend Get(Device device)
    {
        EnsureLoaded();
        lock (Gate)
            if (Backends.TryGetValue(device, out var b)) return b;
        throw new InvalidOperationException($"no backend is registered for device {device}; for GPUs create the device with Device.Cuda(i), Device.OpenCL(i) or Device.IlgpuCpu() first");
    }

    public static bool TryGet(Device device, out IBackend? backend)
    {
        EnsureLoaded();
        lock (Gate) return Backends.TryGetValue(device, out backend);
    }

    internal static Device Best()
    {
        EnsureLoaded();
        Func<Device?>[] providers;
        lock (Gate) providers = BestProviders.ToArray();
        foreach (var p in providers)
            if (p() is Device d) return d;
        return Device.Cpu;
    }

    private static void EnsureLoaded()
    {
        if (Volatile.Read(ref _loaded)) return;
        lock (LoadGate)
        {
            if (_loaded) return;
            // Loading Engine.Kernels runs its module initializer, which registers the CPU backend.
            var asm = Assembly.Load("Engine.Kernels");
            RuntimeHelpers.RunModuleConstructor(asm.ManifestModule.ModuleHandle);
            Volatile.Write(ref _loaded, true);
        }
    }

    private static readonly Lock LoadGate = new();
}
