using Engine.Kernels.Ilgpu;

namespace Engine;

/// <summary>GPU devices through ILGPU, as static members of <see cref="Device"/>: <c>Device.Cuda(0)</c>.</summary>
public static class DeviceFactories
{
    extension(Device)
    {
        /// <summary>CUDA GPU number i (NVIDIA driver only, no toolkit). Throws naming the devices found when absent.</summary>
        public static Device Cuda(int i = 0) => IlgpuDevices.Get(DeviceType.Cuda, i);

        /// <summary>OpenCL GPU number i (counting GPUs only).</summary>
        public static Device OpenCL(int i = 0) => IlgpuDevices.Get(DeviceType.OpenCL, i);

        /// <summary>ILGPU's CPU accelerator: runs every GPU kernel on the CPU (for tests; slow).</summary>
        public static Device IlgpuCpu() => IlgpuDevices.Get(DeviceType.IlgpuCpu, 0);
    }
}
