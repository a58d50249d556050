using System.Diagnostics;
using System.Globalization;
using Engine.Data;
using Engine.Distributed;
using Engine.Training;

namespace Engine.Bench;

/// <summary>
/// Data-parallel training throughput, run by bench/distributed.sh alone (1 rank) and under mpirun (N ranks):
///   Engine.Bench ddp [--model cnn|cnn-bn] [--norm local|sync] [--batch B] [--samples S] [--epochs E] [--data DIR]
///   Engine.Bench allreduce [--sizes 1,4096,...]
/// ddp trains the CNN of `engine train --model cnn` (cnn-bn: the same with BatchNorm2d after each convolution and no
/// conv bias; --norm sync converts them to SyncBatchNorm) on the first S Fashion-MNIST training images with Adam,
/// batch B per rank, for E epochs. Rank 0 prints one JSON line for the last epoch (the first one warms the JIT and the
/// pools): the whole job's samples/s, the mean step time, and the gradient all-reduce time per step (buckets copied
/// out, summed over the ranks, copied back: DistributedDataParallel.AllreduceTime).
/// allreduce times MpiCommunicator's in-place sum alone for each size (floats): the median of calls over about a second.
/// </summary>
internal static class DdpBench
{
    public static int Run(string[] args)
    {
        var a = Args(args);
        string model = a.GetValueOrDefault("model", "cnn"), norm = a.GetValueOrDefault("norm", "local");
        int batch = Int(a, "batch", 64), samples = Int(a, "samples", 6400), epochs = Int(a, "epochs", 2);
        string dir = a.GetValueOrDefault("data", Directory.Exists(FashionMnist.DebianDir) ? FashionMnist.DebianDir : "data/fashion-mnist-subset");
        if (model is not ("cnn" or "cnn-bn")) throw new ArgumentException($"ddp: --model {model}: choose cnn or cnn-bn");
        if (norm is not ("local" or "sync")) throw new ArgumentException($"ddp: --norm {norm}: choose local or sync");

        using var comm = Communicator.FromEnvironment();
        var split = FashionMnist.Load(dir, "train");
        samples = Math.Min(samples, split.Count);
        var train = new TensorDataset(split.Images.AsSpan(0, samples * 784).ToArray(), split.Labels.AsSpan(0, samples).ToArray(), 1, 28, 28);

        Seed.Everything(42);
        var net = Build(model);
        if (norm == "sync") SyncBatchNorm.ConvertSyncBatchNorm(net, comm);
        var opt = new Adam(net.Parameters(), lr: 1e-3);
        var loader = new DataLoader(train, batchSize: batch, sampler: new DistributedSampler(train.Count, comm, seed: 42, dropLast: true));
        var ddp = new DistributedDataParallel(comm);
        var clock = new EpochClock(ddp);
        new Trainer(net, opt, (o, t) => F.CrossEntropy(o, t)).With(ddp, clock).Fit(loader, null, epochs);

        if (comm.IsRoot())
        {
            double s = clock.Seconds, steps = clock.Steps;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"model\": \"{model}\", \"norm\": \"{norm}\", \"ranks\": {comm.Size}, \"threads\": {CpuSettings.Threads}, \"batch\": {batch}, " +
                $"\"steps\": {steps}, \"samples_per_s\": {steps * batch * comm.Size / s:F1}, \"step_ms\": {1000 * s / steps:F2}, " +
                $"\"allreduce_ms\": {clock.AllreduceMs / steps:F3}, \"epoch_s\": {s:F2}, \"params\": {net.ParameterCount()}}}"));
        }
        return 0;
    }

    public static int Allreduce(string[] args)
    {
        var a = Args(args);
        var sizes = a.GetValueOrDefault("sizes", "1,4096,421642,4194304,10000000").Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        using var comm = Communicator.FromEnvironment();
        foreach (int n in sizes)
        {
            var data = new float[n];
            for (int i = 0; i < n; i++) data[i] = i % 7;
            // every rank runs the same number of calls: a fixed count sized from the first calls on rank 0
            Span<float> count = [0];
            var probe = Stopwatch.StartNew();
            for (int i = 0; i < 3; i++) comm.AllreduceSum(data);
            if (comm.IsRoot()) count[0] = (float)Math.Clamp(1000 / Math.Max(probe.Elapsed.TotalMilliseconds / 3, 1e-3), 5, 20000);
            comm.Broadcast(count, 0);
            var times = new double[(int)count[0]];
            for (int i = 0; i < times.Length; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                comm.AllreduceSum(data);
                times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            Array.Sort(times);
            double ms = times[times.Length / 2];
            if (comm.IsRoot())
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"allreduce_floats\": {n}, \"ranks\": {comm.Size}, \"calls\": {times.Length}, \"median_ms\": {ms:F4}, \"gb_per_s\": {n * 4.0 / (ms * 1e6):F2}}}"));
        }
        return 0;
    }

    /// <summary>`engine train --model cnn`; cnn-bn puts BatchNorm2d after each convolution (no conv bias).</summary>
    private static Module Build(string model) => model == "cnn"
        ? new Sequential(
            new Conv2d(1, 32, kernelSize: 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, kernelSize: 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(64 * 7 * 7, 128), new ReLU(), new Dropout(0.3), new Linear(128, 10))
        : new Sequential(
            new Conv2d(1, 32, kernelSize: 3, padding: 1, bias: false), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, kernelSize: 3, padding: 1, bias: false), new BatchNorm2d(64), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(64 * 7 * 7, 128), new ReLU(), new Dropout(0.3), new Linear(128, 10));

    /// <summary>Times the last epoch: wall time, optimizer steps and DDP's all-reduce time within it.</summary>
    private sealed class EpochClock(DistributedDataParallel ddp) : Callback
    {
        private long _start, _steps0;
        private double _ar0;
        public double Seconds, AllreduceMs;
        public long Steps;

        public override void OnEpochStart(TrainContext ctx)
        {
            _start = Stopwatch.GetTimestamp();
            _steps0 = ctx.OptimizerSteps;
            _ar0 = ddp.AllreduceTime.TotalMilliseconds;
        }

        public override void OnBatchEnd(TrainContext ctx)
        {
            Seconds = Stopwatch.GetElapsedTime(_start).TotalSeconds;
            Steps = ctx.OptimizerSteps - _steps0;
            AllreduceMs = ddp.AllreduceTime.TotalMilliseconds - _ar0;
        }
    }

    private static Dictionary<string, string> Args(string[] args)
    {
        var d = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"expected --name value pairs, got '{args[i]}'");
            d[args[i][2..]] = args[++i];
        }
        return d;
    }

    private static int Int(Dictionary<string, string> a, string k, int d) =>
        a.TryGetValue(k, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : d;
}
