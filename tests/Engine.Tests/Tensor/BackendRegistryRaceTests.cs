using System.Reflection;
using System.Runtime.Loader;

namespace Engine.Tests.Tensors;

/// <summary>
/// The first use of the backend registry from several threads at once: every thread must find the CPU
/// backend. (The registry used to mark itself loaded before the kernels' initializer had registered
/// anything, so a second thread got "no backend is registered for device cpu".) In this process the
/// registry is long loaded, so each round loads fresh copies of the engine assemblies into their own
/// AssemblyLoadContext.
/// </summary>
public class BackendRegistryRaceTests
{
    private sealed class FreshEngine() : AssemblyLoadContext(isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName name)
        {
            var path = Path.Combine(AppContext.BaseDirectory, name.Name + ".dll");
            return name.Name!.StartsWith("Engine.", StringComparison.Ordinal) && File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }

    [Fact]
    public void ConcurrentFirstUseFindsTheCpuBackend()
    {
        const int rounds = 6, threads = 8;
        var failures = new List<string>();
        for (int round = 0; round < rounds; round++)
        {
            var ctx = new FreshEngine();
            var asm = ctx.LoadFromAssemblyName(new AssemblyName("Engine.Tensor"));
            var get = asm.GetType("Engine.BackendRegistry", throwOnError: true)!.GetMethod("Get")!;
            var cpu = asm.GetType("Engine.Device", throwOnError: true)!.GetProperty("Cpu")!.GetValue(null);
            using var start = new Barrier(threads);
            var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
            {
                start.SignalAndWait();
                try { get.Invoke(null, [cpu]); }
                catch (TargetInvocationException e) { lock (failures) failures.Add(e.InnerException!.Message); }
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            ctx.Unload();
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {rounds * threads} first calls failed: {failures.FirstOrDefault()}");
    }
}
