using System.Text.Json;
using Engine;
using Engine.GpuCheck;
using Engine.Kernels.Ilgpu;

// gpucheck [--device cuda|opencl|ilgpu-cpu|cpu] [--index i] [--quick] [--no-bench] [--json path]
// Lists the devices, runs the op checks on the device against the CPU backend, then times the workloads.
// Exit code 1 when a check fails.
string kind = "auto", json = "engine.json"; int index = 0; bool quick = false, bench = true;
for (int i = 0; i < args.Length; i++)
    switch (args[i])
    {
        case "--device": kind = args[++i]; break;
        case "--index": index = int.Parse(args[++i]); break;
        case "--quick": quick = true; break;
        case "--no-bench": bench = false; break;
        case "--json": json = args[++i]; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}; usage: gpucheck [--device cuda|opencl|ilgpu-cpu|cpu] [--index i] [--quick] [--no-bench] [--json path]"); return 2;
    }

foreach (var line in IlgpuDevices.Describe()) Console.WriteLine(line);
var dev = kind switch
{
    "cuda" => Device.Cuda(index),
    "opencl" => Device.OpenCL(index),
    "ilgpu-cpu" => Device.IlgpuCpu(),
    "cpu" => Device.Cpu,
    _ => IlgpuDevices.Count(DeviceType.Cuda) > 0 ? Device.Cuda(index) : Device.IlgpuCpu(),
};
Console.WriteLine($"device: {dev} ({dev.Name})");

bool ok = dev.IsCpu || new Checks(dev).Run();
if (bench)
{
    // --quick: tiny sizes and one timed run, to smoke-test the program on ILGPU's CPU accelerator
    // (which runs grouped kernels with one OS thread per GPU thread: its timings mean nothing).
    var results = new Workloads(dev, quick ? 1 : 256, quick ? 64 : 4096, quick).Run();
    File.WriteAllText(json, JsonSerializer.Serialize(new { device = dev.ToString(), name = dev.Name, results }, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"timings written to {json}");
}
return ok ? 0 : 1;
