using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Engine.Kernels.Ilgpu;

/// <summary>
/// Finds ILGPU devices and makes their backends, lazily: nothing touches a driver until a GPU
/// device is asked for. One ILGPU context per kind (CUDA, OpenCL, CPU accelerator), one accelerator
/// and backend per device, kept for the life of the process.
/// </summary>
public static class IlgpuDevices
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<DeviceType, Context?> Contexts = new();
    private static readonly Dictionary<Device, IlgpuBackend> Backends = new();

#pragma warning disable CA2255 // Device.Best() must see GPUs without the caller touching this class first
    [ModuleInitializer]
    internal static void RegisterBestProvider() => BackendRegistry.RegisterBestProvider(BestGpu);
#pragma warning restore CA2255

    /// <summary>The first CUDA device, else the first OpenCL GPU, else null (Device.Best then picks the CPU).</summary>
    public static Device? BestGpu()
    {
        if (Count(DeviceType.Cuda) > 0) return Get(DeviceType.Cuda, 0);
        if (Count(DeviceType.OpenCL) > 0) return Get(DeviceType.OpenCL, 0);
        return null;
    }

    /// <summary>Number of devices of a kind (0 when its driver is missing). OpenCL counts GPUs only.</summary>
    public static int Count(DeviceType type) => Candidates(type).Count;

    /// <summary>One line per device found, for <c>engine info</c>.</summary>
    public static IEnumerable<string> Describe()
    {
        foreach (var type in new[] { DeviceType.Cuda, DeviceType.OpenCL })
        {
            var list = Candidates(type);
            if (list.Count == 0) yield return $"{type}: none found";
            for (int i = 0; i < list.Count; i++)
                yield return $"{new Device(type, i)}: {list[i].Name}, {list[i].MemorySize / (1024 * 1024)} MiB, {list[i].MaxNumThreadsPerGroup} threads/group";
        }
    }

    /// <summary>The device of the given kind and index, with its backend registered; throws naming what exists.</summary>
    public static Device Get(DeviceType type, int index)
    {
        lock (Gate)
        {
            foreach (var (d, _) in Backends) if (d.Type == type && d.Index == index) return d;
            var list = Candidates(type);
            if (index < 0 || index >= list.Count)
                throw new InvalidOperationException(list.Count == 0
                    ? $"no {type} device found (is the driver installed?); use Device.Best() to fall back to the CPU"
                    : $"{type} device {index} does not exist; found {list.Count}: {string.Join(", ", list.Select((x, i) => $"{i}: {x.Name}"))}");
            var ctx = Contexts[type]!;
            var acc = list[index].CreateAccelerator(ctx);
            var device = new Device(type, index, acc.Name);
            var backend = new IlgpuBackend(device, acc);
            Backends[device] = backend;
            BackendRegistry.Register(backend);
            return device;
        }
    }

    /// <summary>The backend of a device made by <see cref="Get"/>.</summary>
    public static IlgpuBackend Backend(Device device)
    {
        lock (Gate)
            return Backends.TryGetValue(device, out var b) ? b : throw new InvalidOperationException($"{device} is not an ILGPU device");
    }

    private static List<ILGPU.Runtime.Device> Candidates(DeviceType type)
    {
        lock (Gate)
        {
            if (!Contexts.TryGetValue(type, out var ctx)) Contexts[type] = ctx = TryCreate(type);
            if (ctx == null) return [];
            var list = new List<ILGPU.Runtime.Device>();
            switch (type)
            {
                case DeviceType.Cuda: foreach (var d in ctx.GetCudaDevices()) list.Add(d); break;
                case DeviceType.OpenCL: foreach (var d in ctx.GetCLDevices()) if (d.DeviceType == CLDeviceType.CL_DEVICE_TYPE_GPU) list.Add(d); break;
                case DeviceType.IlgpuCpu: list.Add(ctx.GetCPUDevice(0)); break;
            }
            return list;
        }
    }

    private static Context? TryCreate(DeviceType type)
    {
        try
        {
            return type switch
            {
                // Fast 32-bit math: float kernels never silently widen to double.
                DeviceType.Cuda => Context.Create(b => b.Cuda().Math(MathMode.Fast32BitOnly).Optimize(OptimizationLevel.O2).EnableAlgorithms()),
                DeviceType.OpenCL => Context.Create(b => b.OpenCL().Math(MathMode.Fast32BitOnly).Optimize(OptimizationLevel.O2).EnableAlgorithms()),
                // GPU-shaped warps of 32 and groups of up to 64 threads (the GEMM group). Each thread of a
                // group is an OS thread and every launch wakes all of them: more threads per group would
                // only make every launch slower here.
                DeviceType.IlgpuCpu => Context.Create(b => b.CPU(new CPUDevice(32, 2, 1)).Assertions().EnableAlgorithms()),
                _ => null,
            };
        }
        catch (Exception) { return null; }   // no driver: the kind simply has no devices
    }
}
