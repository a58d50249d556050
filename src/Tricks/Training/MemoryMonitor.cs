using System.Diagnostics;
using System.Globalization;

namespace Engine.Training;

/// <summary>
/// One reading of the process's memory: the engine's own counters beside the GC's and the operating system's.
/// </summary>
/// <param name="Step">Batches trained so far in this run (the trainer's global batch count).</param>
/// <param name="LiveTensors">Tensor objects created and not yet disposed (<see cref="Tensor.LiveCount"/>).</param>
/// <param name="PoolLiveBytes">Host bytes rented from the CPU pool by live storages.</param>
/// <param name="PoolPooledBytes">Host bytes sitting in the CPU pool, ready for reuse.</param>
/// <param name="PoolAllocatedBytes">Host bytes the CPU pool ever allocated fresh (grows only on a miss).</param>
/// <param name="ScratchBytes">Bytes held by the CPU kernels' per-thread scratch arrays.</param>
/// <param name="GcHeapBytes">The GC heap's size after the last collection.</param>
/// <param name="GcCommittedBytes">Memory the GC has committed from the operating system.</param>
/// <param name="WorkingSetBytes">The process's resident set (RSS).</param>
/// <param name="PoolThreads">Threads of the .NET thread pool (each that runs a CPU kernel holds its own scratch).</param>
public readonly record struct MemorySample(
    long Step, long LiveTensors, long PoolLiveBytes, long PoolPooledBytes, long PoolAllocatedBytes,
    long ScratchBytes, long GcHeapBytes, long GcCommittedBytes, long WorkingSetBytes, int PoolThreads)
{
    /// <summary>Reads every counter now.</summary>
    public static MemorySample Take(long step)
    {
        var gc = GC.GetGCMemoryInfo();
        using var self = Process.GetCurrentProcess();
        return new MemorySample(step, Tensor.LiveCount, CpuMemoryPool.LiveBytes, CpuMemoryPool.PooledBytes,
            CpuMemoryPool.AllocatedBytes, Engine.Kernels.Cpu.CpuBackend.ScratchBytes, gc.HeapSizeBytes, gc.TotalCommittedBytes, self.WorkingSet64, ThreadPool.ThreadCount);
    }

    /// <summary>The column names of <see cref="ToCsv"/>.</summary>
    public const string CsvHeader = "step,live_tensors,pool_live_mb,pool_pooled_mb,pool_allocated_mb,scratch_mb,gc_heap_mb,gc_committed_mb,rss_mb,pool_threads";

    /// <summary>One CSV line, sizes in MiB.</summary>
    public string ToCsv()
    {
        static string Mb(long b) => (b / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);
        return $"{Step},{LiveTensors},{Mb(PoolLiveBytes)},{Mb(PoolPooledBytes)},{Mb(PoolAllocatedBytes)},{Mb(ScratchBytes)},{Mb(GcHeapBytes)},{Mb(GcCommittedBytes)},{Mb(WorkingSetBytes)},{PoolThreads}";
    }
}

/// <summary>
/// Samples <see cref="MemorySample"/> every <c>every</c> batches (and at each epoch's end), so that a long run shows
/// whether memory stays flat and, if not, which counter grows. The samples are kept in <see cref="Samples"/> and,
/// where a writer is given, written as CSV lines as they come (<c>engine train</c> does so under ENGINE_MEMORY_LOG).
/// </summary>
public sealed class MemoryMonitor(int every = 100, TextWriter? csv = null) : Callback
{
    private long _batches;

    /// <summary>The samples taken so far, in order.</summary>
    public List<MemorySample> Samples { get; } = [];

    public override void OnTrainStart(TrainContext ctx)
    {
        if (every < 1) throw new ArgumentOutOfRangeException(nameof(every), every, "MemoryMonitor: sample at least every batch (every >= 1)");
        csv?.WriteLine(MemorySample.CsvHeader);
        Take();
    }

    public override void OnBatchEnd(TrainContext ctx)
    {
        if (++_batches % every == 0) Take();
    }

    public override void OnEpochEnd(TrainContext ctx) => Take();

    private void Take()
    {
        var s = MemorySample.Take(_batches);
        Samples.Add(s);
        csv?.WriteLine(s.ToCsv());
        csv?.Flush();
    }
}
